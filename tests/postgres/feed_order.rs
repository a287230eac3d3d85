//! The feed's visibility rule on PostgreSQL (src/store/postgres/events.rs). Writers of one
//! workspace no longer commit one at a time, so a transaction can take its event's seq
//! first and commit last; a reader must neither skip that event nor see a contact's
//! changes out of commit order. The held writer here is a real purrlist write path
//! (`record_events`) in a transaction the test keeps open.

use crate::support::{FreshDatabase, Node, http, test_url};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use purrlist::domain::events::{Actor, ContactEvent, EventKind};
use purrlist::domain::evidence::{Evidence, WriteEvidence};
use purrlist::domain::ids::{ContactId, WorkspaceId};
use purrlist::domain::timestamp::Timestamp;
use purrlist::store::postgres::record_events;
use serde_json::{Map, Value, json};

struct Api {
    http: reqwest::Client,
    base: String,
    key: String,
    workspace: String,
}

impl Api {
    fn start(node: &Node) -> Api {
        let (workspace, key) = node.first_start.clone().expect("first start");
        Api {
            http: http(),
            base: node.base.clone(),
            key,
            workspace,
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "{method} {path}: {body}");
        body
    }

    async fn create(&self, emails: &[&str]) -> Vec<String> {
        let contacts: Vec<Value> = emails.iter().map(|e| json!({"email": e})).collect();
        let body = json!({"newsletter_id": self.workspace, "contacts": contacts});
        let answer = self
            .send(reqwest::Method::POST, "/v1/contacts", Some(body))
            .await;
        answer["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect()
    }

    async fn rename(&self, id: &str, email: &str, name: &str) {
        let body = json!({"email": email, "name": name});
        self.send(
            reqwest::Method::PUT,
            &format!("/v1/contacts/{id}"),
            Some(body),
        )
        .await;
    }

    /// One page of the feed after `after`; (events, next_cursor).
    async fn feed(&self, after: &str, filter: &str) -> (Vec<Value>, String) {
        let path = format!(
            "/v1/events?newsletter_id={}&limit=1000&after={after}{filter}",
            self.workspace
        );
        let page = self.send(reqwest::Method::GET, &path, None).await;
        let events = page["data"].as_array().expect("data").clone();
        (
            events,
            page["next_cursor"].as_str().expect("cursor").to_owned(),
        )
    }
}

fn pool(url: &str) -> Pool {
    let manager = Manager::from_config(
        url.parse().expect("url"),
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager).max_size(2).build().expect("pool")
}

/// A `name` change of `contact` as purrlist records it, by the CLI actor.
fn renamed(workspace: &str, contact: &str, old: &str, new: &str) -> ContactEvent {
    let mut changes = Map::new();
    changes.insert("name".into(), json!({"old": old, "new": new}));
    ContactEvent {
        kind: EventKind::Updated,
        contact_id: ContactId::from_stored(contact.to_owned()),
        workspace_id: WorkspaceId::from_stored(workspace.to_owned()),
        changes,
    }
}

fn names(events: &[Value]) -> Vec<(String, Value)> {
    events
        .iter()
        .map(|e| {
            (
                e["contact_id"].as_str().expect("contact").to_owned(),
                e["changes"]["name"]["new"].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_never_skips_an_event_whose_transaction_commits_after_a_later_seq() {
    let Some(admin) =
        test_url("a_reader_never_skips_an_event_whose_transaction_commits_after_a_later_seq")
    else {
        return;
    };
    let db = FreshDatabase::create(&admin);
    let node = Node::start(&db.url, &[]);
    let api = Api::start(&node);
    let ids = api.create(&["a@example.com", "b@example.com"]).await;
    let (created, cursor) = api.feed("", "").await;
    assert_eq!(created.len(), 2);

    // A writer takes its event's seq and stays open...
    let pool = pool(&db.url);
    let mut held = pool.get().await.expect("connection");
    let tx = held.transaction().await.expect("begin");
    tx.execute(
        "UPDATE contacts SET name = 'held' WHERE id = $1",
        &[&ids[0]],
    )
    .await
    .expect("update");
    record_events(
        &tx,
        &[renamed(&api.workspace, &ids[0], "", "held")],
        &Actor::Cli,
        &WriteEvidence::same_for_all(&Evidence::from_source("cli")),
        Timestamp::now(),
    )
    .await
    .expect("record");
    let held_seq: i64 = tx
        .query_one("SELECT max(seq) FROM contact_events", &[])
        .await
        .expect("seq")
        .get(0);
    // ...while another write, with a higher seq, commits through purrlist.
    api.rename(&ids[1], "b@example.com", "later").await;
    let later_seq = db.query_i64(&format!(
        "SELECT max(seq) FROM contact_events WHERE contact_id = '{}'",
        ids[1]
    ));
    assert!(later_seq > held_seq, "the later write took the higher seq");

    // The committed event is not served while an older transaction may still add one
    // before it in feed order.
    let (early, early_cursor) = api.feed(&cursor, "").await;
    assert!(early.is_empty(), "served past a running writer: {early:?}");
    assert_eq!(early_cursor, cursor);

    tx.commit().await.expect("commit");
    let (events, _) = api.feed(&early_cursor, "").await;
    assert_eq!(
        names(&events),
        vec![
            (ids[0].clone(), json!("held")),
            (ids[1].clone(), json!("later"))
        ],
        "both events, the held one included, once each"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contacts_events_keep_commit_order_when_an_older_transaction_writes_last() {
    let Some(admin) =
        test_url("a_contacts_events_keep_commit_order_when_an_older_transaction_writes_last")
    else {
        return;
    };
    let db = FreshDatabase::create(&admin);
    let node = Node::start(&db.url, &[]);
    let api = Api::start(&node);
    let id = api.create(&["c@example.com"]).await.remove(0);

    // An older transaction (its id taken first, as an idempotency key or another contact
    // would take it) writes the contact after a newer one has committed a change to it.
    let pool = pool(&db.url);
    let mut held = pool.get().await.expect("connection");
    let tx = held.transaction().await.expect("begin");
    tx.execute("SELECT pg_current_xact_id()", &[])
        .await
        .expect("xid");
    api.rename(&id, "c@example.com", "first").await;
    tx.execute("UPDATE contacts SET name = 'second' WHERE id = $1", &[&id])
        .await
        .expect("update");
    record_events(
        &tx,
        &[renamed(&api.workspace, &id, "first", "second")],
        &Actor::Cli,
        &WriteEvidence::same_for_all(&Evidence::from_source("cli")),
        Timestamp::now(),
    )
    .await
    .expect("record");
    tx.commit().await.expect("commit");

    let expected = vec![
        (id.clone(), json!("")),
        (id.clone(), json!("first")),
        (id.clone(), json!("second")),
    ];
    let (all, _) = api.feed("", "").await;
    assert_eq!(names(&all), expected, "the workspace feed, in commit order");
    let (own, _) = api.feed("", &format!("&contact_id={id}")).await;
    assert_eq!(
        names(&own),
        expected,
        "the contact's history, in commit order"
    );
}
