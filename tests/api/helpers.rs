//! A real purrlist server per test, on a fresh database of one backend.
//!
//! `backend_test!` writes each test once and runs it on every backend, with the test
//! configuration or one the test gives; `TestApp` is the server plus the handles a test
//! needs (the store, a workspace, a full-access key). Its requests are in `client`.

use purrlist::app::{Application, create_key};
use purrlist::config::Config;
use purrlist::domain::api_key::WorkspaceGrant;
use purrlist::domain::contact::Contact;
use purrlist::domain::ids::{ApiKeyId, WorkspaceId};
use purrlist::domain::timestamp::Timestamp;
use purrlist::store::postgres::{Pooler, PostgresOptions};
use purrlist::store::{ContactQuery, SharedStore, StoreOptions};
use std::time::Duration;
use tempfile::TempDir;

pub use crate::client::id_of;
use crate::fresh_database::{FreshDatabase, pooler_url, test_url};
pub use crate::reply::{Reply, send, send_allowing};

/// Writes a test once for every backend.
///
/// `backend_test!(put_keeps_names, |app| async move { ... });` becomes `mod put_keeps_names`
/// with one `#[tokio::test] async fn <backend>()` per backend listed below, each binding `app`
/// to a fresh [`TestApp`] on that backend (the closure form is only syntax, so rustfmt formats
/// the body). A backend that is not configured here (no database
/// URL in the environment) makes its test return early as skipped. Adding a backend = one
/// `fn_name => Variant` line in the first arm.
///
/// `backend_test!(name, config = expr, |app| async move { ... })` starts each server with the
/// configuration `expr` (built from [`TestApp::config`]) instead.
macro_rules! backend_test {
    ($name:ident, |$app:ident| async move $body:block) => {
        backend_test!($name, config = $crate::helpers::TestApp::config(), |$app| async move $body);
    };
    ($name:ident, config = $config:expr, |$app:ident| async move $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            backend_test!(@each $app $body ($config), sqlite => Sqlite, postgres => Postgres);
        }
    };
    (@each $app:ident $body:block ($config:expr), $($fn_name:ident => $variant:ident),+) => {
        $(
            #[tokio::test]
            async fn $fn_name() {
                let Some($app) = $crate::helpers::TestApp::spawn_with(
                    $crate::helpers::Backend::$variant,
                    $config,
                )
                .await
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
                // Through the pooler when there is one: the server under test then runs
                // as in front of PgBouncer in transaction mode (scripts/pooler-check).
                let (url, options) = match pooler_url() {
                    Some(pooler) => (
                        database.url_on(&pooler),
                        StoreOptions {
                            postgres: PostgresOptions {
                                pooler: Pooler::Transaction,
                                ..PostgresOptions::default()
                            },
                            ..StoreOptions::default()
                        },
                    ),
                    None => (database.url.clone(), StoreOptions::default()),
                };
                let store = purrlist::store::open(&url, &options)
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

    /// The configuration of every test server: a free port, and no key cache (so a revoked
    /// key is refused at once). Tests that vary the configuration start from this.
    pub fn config() -> Config {
        Config {
            listen: "127.0.0.1:0".to_owned(),
            key_cache: Duration::ZERO,
            ..Config::default()
        }
    }

    /// A server on `backend`, or `None` when that backend is not configured.
    pub async fn spawn_on(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, TestApp::config()).await
    }

    /// A server on `backend` with `config` (it serves a fresh database of that backend,
    /// whatever `database_url` says, and spools import bodies in its temporary directory
    /// unless `import_spool_dir` says where), or `None` when that backend is not configured.
    pub async fn spawn_with(backend: Backend, mut config: Config) -> Option<TestApp> {
        let dir = tempfile::tempdir().expect("tempdir");
        let (store, database) = backend.open(&dir).await?;
        config.database_url = match &database {
            Some(database) => database.url.clone(),
            None => format!("sqlite://{}", dir.path().join("test.db").display()),
        };
        config
            .import_spool_dir
            .get_or_insert_with(|| dir.path().join("imports"));
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
        let (_, secret) = create_key(&*store, "test".to_owned(), WorkspaceGrant::All, false)
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

    /// Runs `common` and then the backend's own `sqlite` or `postgres` SQL on the test
    /// database, beside the server (to set up what the API cannot, such as a fault).
    pub async fn run_sql(&self, common: &str, sqlite: &str, postgres: &str) {
        let url = self.database_url();
        match url.strip_prefix("sqlite://") {
            Some(path) => {
                let conn = rusqlite::Connection::open(path).expect("open SQLite");
                conn.busy_timeout(std::time::Duration::from_secs(10))
                    .expect("busy timeout");
                conn.execute_batch(&format!("{common}{sqlite}"))
                    .expect("SQLite statements");
            }
            None => {
                let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                    .await
                    .expect("connect");
                let driver = tokio::spawn(connection);
                client
                    .batch_execute(&format!("{common}{postgres}"))
                    .await
                    .expect("PostgreSQL statements");
                drop(client);
                let _ = driver.await;
            }
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
        let (key, secret) = create_key(&*self.store, "minted".to_owned(), grant, read_only)
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
                        after: None,
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
