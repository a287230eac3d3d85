//! A real purrlist server per test, on a fresh database of one backend, and a client for it.
//!
//! `backend_test!` writes each test once and runs it on every backend; `TestApp` is the
//! server plus the handles a test needs (the store, a workspace, a full-access key).

use purrlist::app::{Application, create_key};
use purrlist::config::Config;
use purrlist::domain::api_key::WorkspaceGrant;
use purrlist::domain::contact::Contact;
use purrlist::domain::ids::{ApiKeyId, WorkspaceId};
use purrlist::domain::timestamp::Timestamp;
use purrlist::store::{ContactQuery, SharedStore, StoreOptions};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};
use std::time::Duration;
use tempfile::TempDir;

use crate::fresh_database::{FreshDatabase, test_url};
pub use crate::reply::{Reply, send};

/// Writes a test once for every backend.
///
/// `backend_test!(put_keeps_names, |app| async move { ... });` becomes `mod put_keeps_names`
/// with one `#[tokio::test] async fn <backend>()` per backend listed below, each binding `app`
/// to a fresh [`TestApp`] on that backend (the closure form is only syntax, so rustfmt formats
/// the body). A backend that is not configured here (no database
/// URL in the environment) makes its test return early as skipped. Adding a backend = one
/// `fn_name => Variant` line in the first arm.
macro_rules! backend_test {
    ($name:ident, |$app:ident| async move $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            backend_test!(@each $app $body, sqlite => Sqlite, postgres => Postgres);
        }
    };
    (@each $app:ident $body:block, $($fn_name:ident => $variant:ident),+) => {
        $(
            #[tokio::test]
            async fn $fn_name() {
                let Some($app) =
                    $crate::helpers::TestApp::spawn_on($crate::helpers::Backend::$variant).await
                else {
                    return;
                };
                $body
            }
        )+
    };
}

/// A database purrlist can run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A new SQLite file in a temporary directory.
    Sqlite,
    /// A new database on the PostgreSQL that PURRLIST_TEST_POSTGRES_URL names.
    Postgres,
}

impl Backend {
    /// A fresh, empty store (and the PostgreSQL database to drop after), or `None` (after
    /// saying so) when this backend is not set up here.
    async fn open(self, dir: &TempDir) -> Option<(SharedStore, Option<FreshDatabase>)> {
        match self {
            Backend::Sqlite => {
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                let store = purrlist::store::open(&url, &StoreOptions::default())
                    .await
                    .expect("open SQLite store");
                Some((store, None))
            }
            Backend::Postgres => {
                let test = std::thread::current().name().unwrap_or("test").to_owned();
                let database = FreshDatabase::create(&test_url(&test)?);
                let store = purrlist::store::open(&database.url, &StoreOptions::default())
                    .await
                    .expect("open PostgreSQL store");
                Some((store, Some(database)))
            }
        }
    }
}

/// A running server with one workspace and one read-write key for every workspace.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// The server's store, to set things up and look behind the API.
    pub store: SharedStore,
    /// The workspace made at start.
    pub workspace: String,
    /// A read-write key for every workspace.
    pub api_key: String,
    /// The HTTP client.
    pub client: reqwest::Client,
    _dir: TempDir,
    _database: Option<FreshDatabase>,
}

/// A key minted for a test.
pub struct TestKey {
    /// Its public id, for revoking.
    pub id: ApiKeyId,
    /// The bearer secret.
    pub secret: String,
}

impl TestApp {
    /// A server on SQLite.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_on(Backend::Sqlite)
            .await
            .expect("SQLite is always available")
    }

    /// A server on `backend`, or `None` when that backend is not configured.
    pub async fn spawn_on(backend: Backend) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, database) = backend.open(&dir).await?;
        let config = Config {
            listen: "127.0.0.1:0".to_owned(),
            key_cache: Duration::ZERO,
            ..Config::default()
        };
        let app = Application::build(&config, store.clone())
            .await
            .expect("build application");
        let address = format!("http://{}", app.local_addr());
        // The listener is bound already, so requests queue until the task runs.
        tokio::spawn(app.run_until(std::future::pending()));
        let workspace = store
            .create_workspace("Test newsletter".to_owned(), Timestamp::now())
            .await
            .expect("create workspace");
        let (_, secret) = create_key(&store, "test".to_owned(), WorkspaceGrant::All, false)
            .await
            .expect("create key");
        Some(TestApp {
            address,
            store,
            workspace: workspace.id.to_string(),
            api_key: secret.expose().to_owned(),
            client: reqwest::Client::new(),
            _dir: dir,
            _database: database,
        })
    }

    /// The URL of the server's database, for running the CLI binary against it.
    pub fn database_url(&self) -> String {
        match &self._database {
            Some(database) => database.url.clone(),
            None => format!("sqlite://{}", self._dir.path().join("test.db").display()),
        }
    }

    /// SHA-256 of a `VACUUM INTO` copy of the SQLite database: equal digests mean equal
    /// bytes of every table and index. `None` on other backends.
    pub fn sqlite_digest(&self) -> Option<String> {
        let path = self._dir.path().join("test.db");
        path.exists()
            .then(|| crate::db_digest::of_sqlite_file(&path))
    }

    /// Another workspace; returns its id.
    pub async fn create_workspace(&self) -> String {
        self.store
            .create_workspace("Another newsletter".to_owned(), Timestamp::now())
            .await
            .expect("create workspace")
            .id
            .to_string()
    }

    /// Mints a key.
    pub async fn key(&self, grant: WorkspaceGrant, read_only: bool) -> TestKey {
        let (key, secret) = create_key(&self.store, "minted".to_owned(), grant, read_only)
            .await
            .expect("create key");
        TestKey {
            id: key.id,
            secret: secret.expose().to_owned(),
        }
    }

    /// A read-write key for exactly these workspaces.
    pub async fn key_for(&self, workspaces: &[&str]) -> TestKey {
        self.key(grant_of(workspaces), false).await
    }

    /// Revokes a key through the store, as `purrlist key revoke` does.
    pub async fn revoke(&self, key: &TestKey) {
        assert!(
            self.store
                .revoke_api_key(&key.id, Timestamp::now())
                .await
                .expect("revoke")
        );
    }

    /// A request with the full-access key.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.req_as(&self.api_key, method, path)
    }

    /// A request with `key`.
    pub fn req_as(&self, key: &str, method: Method, path: &str) -> RequestBuilder {
        self.anonymous(method, path).bearer_auth(key)
    }

    /// A request without any key.
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    /// `PUT /v1/contacts/{id}`.
    pub async fn put_contact(&self, id: &str, body: &Value) -> Reply {
        send(
            self.req(Method::PUT, &format!("/v1/contacts/{id}"))
                .json(body),
        )
        .await
    }

    /// `POST /v1/contacts` with `body` as is.
    pub async fn bulk(&self, body: &Value) -> Reply {
        send(self.req(Method::POST, "/v1/contacts").json(body)).await
    }

    /// `POST /v1/contacts` of `contacts` into the test workspace; panics unless 200.
    pub async fn upsert(&self, contacts: Value) -> Value {
        let reply = self
            .bulk(&json!({"newsletter_id": self.workspace, "contacts": contacts}))
            .await;
        reply.expect_status(200);
        reply.json
    }

    /// Creates one contact in the test workspace and returns it as the API shows it.
    pub async fn new_contact(&self, fields: Value) -> Value {
        let id = self.upsert(json!([fields])).await["results"][0]["id"]
            .as_str()
            .expect("result id")
            .to_owned();
        let reply = self.get_contact(&id).await;
        reply.expect_status(200);
        reply.json
    }

    /// `GET /v1/contacts?{query}`.
    pub async fn list(&self, query: &str) -> Reply {
        send(self.req(Method::GET, &format!("/v1/contacts?{query}"))).await
    }

    /// Every contact of the test workspace via the API, walking the pages.
    pub async fn list_all(&self) -> Vec<Value> {
        let mut all = Vec::new();
        for page in 1.. {
            let reply = self
                .list(&format!(
                    "newsletter_id={}&limit=1000&page={page}",
                    self.workspace
                ))
                .await;
            reply.expect_status(200);
            let data = reply.json["data"].as_array().expect("data").clone();
            if data.is_empty() {
                break;
            }
            all.extend(data);
        }
        all
    }

    /// `GET /v1/contacts/{id}`.
    pub async fn get_contact(&self, id: &str) -> Reply {
        send(self.req(Method::GET, &format!("/v1/contacts/{id}"))).await
    }

    /// `DELETE` of `path`.
    pub async fn delete(&self, path: &str) -> Reply {
        send(self.req(Method::DELETE, path)).await
    }

    /// Every contact of every workspace, straight from the store, for "nothing changed" checks.
    pub async fn snapshot(&self) -> Vec<Contact> {
        let mut all = Vec::new();
        for workspace in self.store.list_workspaces().await.expect("workspaces") {
            let mut offset = 0;
            loop {
                let page = self
                    .store
                    .list_contacts(ContactQuery {
                        workspace: workspace.id.clone(),
                        email: None,
                        subscribed: None,
                        limit: 1000,
                        offset,
                    })
                    .await
                    .expect("list contacts");
                if page.contacts.is_empty() {
                    break;
                }
                offset += page.contacts.len() as u64;
                all.extend(page.contacts);
            }
        }
        all
    }
}

/// A grant of exactly these workspaces.
pub fn grant_of(workspaces: &[&str]) -> WorkspaceGrant {
    WorkspaceGrant::Listed(
        workspaces
            .iter()
            .map(|w| WorkspaceId::parse(w).expect("workspace id"))
            .collect(),
    )
}

/// The id of a contact as the API shows it.
pub fn id_of(contact: &Value) -> &str {
    contact["id"].as_str().expect("contact id")
}
