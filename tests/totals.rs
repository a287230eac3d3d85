//! The list `total` comes from kept counts, not a COUNT over the workspace: on SQLite one
//! row per workspace kept by triggers and, for inserts, by the store (migrations 0003–0004);
//! on PostgreSQL appended rows kept by triggers and folded now and then (migration 14).
//! These tests check it always equals the contacts a full listing finds, through every kind
//! of write, on both backends.

#[path = "postgres/fresh_database.rs"]
mod fresh_database;

use fresh_database::{FreshDatabase, test_url};
use purrlist::domain::api_key::WorkspaceGrant;
use purrlist::domain::bulk::parse_bulk_item;
use purrlist::domain::contact::{Contact, ContactPatch};
use purrlist::domain::events::Actor;
use purrlist::domain::ids::WorkspaceId;
use purrlist::domain::target::{Precondition, Target};
use purrlist::domain::timestamp::Timestamp;
use purrlist::store::{self, ContactQuery, DeleteScope, ImportRows, SharedStore, StoreOptions};
use serde_json::json;
use std::time::{Duration, Instant};

async fn open_url(url: &str) -> SharedStore {
    store::open(url, &StoreOptions::default())
        .await
        .expect("open store")
}

async fn open(path: &std::path::Path) -> SharedStore {
    open_url(&format!("sqlite://{}", path.display())).await
}

/// A store on a fresh database of either backend, and what keeps that database alive.
enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(FreshDatabase),
}

impl Backend {
    /// A directory for fresh SQLite files.
    fn sqlite() -> Backend {
        Backend::Sqlite(tempfile::tempdir().expect("tempdir"))
    }

    /// A fresh PostgreSQL database, or `None` when the tests' PostgreSQL is not configured
    /// (the test then says it skipped).
    fn postgres(test: &str) -> Option<Backend> {
        test_url(test).map(|url| Backend::Postgres(FreshDatabase::create(&url)))
    }

    /// Takes the database back to the schema before its counts were kept, as an older
    /// database was (SQLite schema 2, PostgreSQL schema 13).
    fn forget_counts(&self, name: &str) {
        match self {
            Backend::Sqlite(dir) => {
                let conn = rusqlite::Connection::open(dir.path().join(name)).expect("sqlite");
                conn.execute_batch(
                    "DROP TRIGGER workspace_counts_on_new_workspace; DROP TRIGGER IF EXISTS workspace_counts_on_insert;
                     DROP TRIGGER workspace_counts_on_delete; DROP TRIGGER workspace_counts_on_subscribed;
                     DROP TABLE workspace_counts; PRAGMA user_version = 2;",
                )
                .expect("downgrade");
            }
            Backend::Postgres(db) => db.execute(
                "DROP TRIGGER contact_counts_on_insert ON contacts; \
                 DROP TRIGGER contact_counts_on_delete ON contacts; \
                 DROP TRIGGER contact_counts_on_subscribed ON contacts; \
                 DROP FUNCTION contact_counts_changed(); DROP FUNCTION contact_counts_resubscribed(); \
                 DROP TABLE contact_counts; DELETE FROM schema_migrations WHERE version = 14;",
            ),
        }
    }

    /// The database URL: the SQLite file `name`, or the PostgreSQL database.
    fn url(&self, name: &str) -> String {
        match self {
            Backend::Sqlite(dir) => format!("sqlite://{}", dir.path().join(name).display()),
            Backend::Postgres(db) => db.url.clone(),
        }
    }
}

/// A `sqlite` and a `postgres` test for each function named, which takes the [`Backend`].
macro_rules! on_both_backends {
    ($($name:ident),+) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name(super::Backend::sqlite()).await;
            }

            #[tokio::test]
            async fn postgres() {
                let test = concat!(stringify!($name), "::postgres");
                if let Some(backend) = super::Backend::postgres(test) {
                    super::$name(backend).await;
                }
            }
        }
    )+};
}

on_both_backends!(
    totals_stay_exact_through_every_write,
    counts_are_backfilled_when_an_older_database_is_migrated,
    emails_moved_in_bulk_are_found_under_their_new_owner,
    copied_contacts_are_counted_once_even_when_the_copy_is_resumed
);

fn query(workspace: &WorkspaceId, subscribed: Option<bool>, offset: u64) -> ContactQuery {
    ContactQuery {
        workspace: workspace.clone(),
        email: None,
        subscribed,
        limit: 1000,
        after: None,
        offset,
    }
}

/// Asserts that `total` equals the number of contacts the pages hold, for each filter.
/// A write to `contact` with a key for every workspace and no `If-Match`.
fn everything_of(contact: &Contact) -> Target {
    Target {
        id: contact.id.clone(),
        grant: WorkspaceGrant::All,
        precondition: Precondition::None,
    }
}

async fn assert_totals_exact(store: &SharedStore, workspace: &WorkspaceId) {
    for subscribed in [None, Some(true), Some(false)] {
        let first = store
            .list_contacts(query(workspace, subscribed, 0))
            .await
            .expect("list");
        let mut seen = first.contacts.len() as u64;
        while seen < first.total {
            let page = store
                .list_contacts(query(workspace, subscribed, seen))
                .await
                .expect("list");
            assert!(!page.contacts.is_empty(), "total says more than listed");
            seen += page.contacts.len() as u64;
        }
        let beyond = store
            .list_contacts(query(workspace, subscribed, seen))
            .await
            .expect("list");
        assert!(beyond.contacts.is_empty(), "listed more than total");
        assert_eq!(first.total, seen, "filter {subscribed:?}");
    }
}

/// A new workspace named `name`.
async fn workspace(store: &SharedStore, name: &str) -> WorkspaceId {
    store
        .create_workspace(name.into(), Timestamp::now())
        .await
        .expect("ws")
        .id
}

async fn bulk(store: &SharedStore, workspace: &WorkspaceId, items: serde_json::Value) {
    let items = items
        .as_array()
        .expect("array")
        .iter()
        .map(|i| parse_bulk_item(i).expect("item"))
        .collect();
    store
        .upsert_contacts(
            workspace.clone(),
            items,
            Timestamp::now(),
            Actor::Cli.into(),
        )
        .await
        .expect("bulk");
}

async fn totals_stay_exact_through_every_write(backend: Backend) {
    let store = open_url(&backend.url("t.db")).await;
    let a = workspace(&store, "A").await;
    let b = workspace(&store, "B").await;
    assert_totals_exact(&store, &a).await;

    let items: Vec<_> = (0..30)
        .map(|i| json!({"email": format!("u{i}@example.com"), "subscribed": i % 3 != 0}))
        .collect();
    bulk(&store, &a, json!(items)).await;
    bulk(&store, &b, json!([{"email": "u1@example.com"}])).await;
    assert_totals_exact(&store, &a).await;
    assert_totals_exact(&store, &b).await;

    // Flip some subscriptions both ways, and write one that changes nothing.
    bulk(
        &store,
        &a,
        json!([{"email": "u0@example.com", "subscribed": true},
               {"email": "u1@example.com", "subscribed": false},
               {"email": "u2@example.com", "subscribed": true},
               {"email": "u31@example.com", "subscribed": false}]),
    )
    .await;
    assert_totals_exact(&store, &a).await;

    let page = store
        .list_contacts(query(&a, Some(true), 0))
        .await
        .expect("list");
    let target = page.contacts[0].clone();
    let patch = ContactPatch {
        email: Some(target.email.clone()),
        subscribed: Some(false),
        ..ContactPatch::default()
    };
    store
        .update_contact(
            everything_of(&target),
            patch,
            Timestamp::now(),
            Actor::Cli.into(),
        )
        .await
        .expect("update");
    assert_totals_exact(&store, &a).await;

    assert!(
        store
            .delete_contact(everything_of(&target), Timestamp::now(), Actor::Cli.into())
            .await
            .expect("delete")
    );
    assert_totals_exact(&store, &a).await;
    let removed = store
        .delete_contacts(
            a.clone(),
            DeleteScope::UnsubscribedOnly,
            Timestamp::now(),
            Actor::Cli.into(),
        )
        .await
        .expect("delete many");
    assert!(removed > 0);
    assert_totals_exact(&store, &a).await;
    store
        .delete_contacts(
            a.clone(),
            DeleteScope::Everyone,
            Timestamp::now(),
            Actor::Cli.into(),
        )
        .await
        .expect("delete all");
    assert_totals_exact(&store, &a).await;
    assert_totals_exact(&store, &b).await;
}

async fn counts_are_backfilled_when_an_older_database_is_migrated(backend: Backend) {
    let store = open_url(&backend.url("old.db")).await;
    let a = workspace(&store, "A").await;
    let items: Vec<_> = (0..12)
        .map(|i| json!({"email": format!("u{i}@example.com"), "subscribed": i % 2 == 0}))
        .collect();
    bulk(&store, &a, json!(items)).await;
    drop(store);
    backend.forget_counts("old.db");
    let store = open_url(&backend.url("old.db")).await;
    let all = store.list_contacts(query(&a, None, 0)).await.expect("list");
    assert_eq!(all.total, 12);
    let subscribed = store
        .list_contacts(query(&a, Some(true), 0))
        .await
        .expect("list");
    assert_eq!(subscribed.total, 6);
    assert_totals_exact(&store, &a).await;
}

/// The rows of PostgreSQL's appended counts for `workspace`.
fn count_rows(db: &FreshDatabase, workspace: &WorkspaceId) -> i64 {
    db.query_i64(&format!(
        "SELECT COUNT(*) FROM contact_counts WHERE workspace_id = '{}'",
        workspace.as_str()
    ))
}

/// PostgreSQL: a list that sums many appended rows folds them into one, while writers go
/// on appending; no write is lost or counted twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appended_counts_are_folded_without_losing_a_write_postgres() {
    let test = "appended_counts_are_folded_without_losing_a_write_postgres";
    let Some(url) = test_url(test) else { return };
    let db = FreshDatabase::create(&url);
    let store = open_url(&db.url).await;
    let a = workspace(&store, "A").await;
    // One statement per request: each new contact appends one row.
    for i in 0..80 {
        let item = json!([{"email": format!("f{i}@example.com"), "subscribed": i % 2 == 0}]);
        bulk(&store, &a, item).await;
    }
    assert_eq!(count_rows(&db, &a), 80);
    assert_eq!(
        store
            .list_contacts(query(&a, None, 0))
            .await
            .expect("list")
            .total,
        80
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while count_rows(&db, &a) > 1 {
        assert!(Instant::now() < deadline, "the counts were never folded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A writer creates and flips while lists fold again and again.
    let writer = {
        let (store, a) = (store.clone(), a.clone());
        tokio::spawn(async move {
            for i in 0..240 {
                let email = format!("f{}@example.com", (i * 7) % 120);
                bulk(
                    &store,
                    &a,
                    json!([{"email": email, "subscribed": i % 3 == 0}]),
                )
                .await;
            }
        })
    };
    let mut folds_seen = 0;
    let mut last_rows = count_rows(&db, &a);
    while !writer.is_finished() {
        store.list_contacts(query(&a, None, 0)).await.expect("list");
        let rows = count_rows(&db, &a);
        folds_seen += usize::from(rows < last_rows);
        last_rows = rows;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    writer.await.expect("writer");
    assert!(folds_seen > 0, "no fold ran while the writers wrote");
    let stored = db.query_i64(&format!(
        "SELECT COUNT(*) FROM contacts WHERE workspace_id = '{}'",
        a.as_str()
    ));
    assert_eq!(stored, 120);
    let listed = store.list_contacts(query(&a, None, 0)).await.expect("list");
    assert_eq!(listed.total, 120);
    assert_totals_exact(&store, &a).await;
}

async fn emails_moved_in_bulk_are_found_under_their_new_owner(backend: Backend) {
    let store = open_url(&backend.url("swap.db")).await;
    let a = workspace(&store, "A").await;
    bulk(
        &store,
        &a,
        json!([{"email": "x@example.com"}, {"email": "y@example.com"}]),
    )
    .await;
    let find = |email: &str| {
        let q = ContactQuery {
            email: Some(email.to_owned()),
            ..query(&a, None, 0)
        };
        let store = store.clone();
        async move { store.list_contacts(q).await.expect("list").contacts }
    };
    let (x, y) = (find("x@example.com").await, find("y@example.com").await);
    bulk(
        &store,
        &a,
        json!([{"id": x[0].id.as_str(), "email": "z@example.com"},
               {"id": y[0].id.as_str(), "email": "X@Example.com", "subscribed": false}]),
    )
    .await;
    assert_eq!(find("z@example.com").await[0].id, x[0].id);
    assert!(find("y@example.com").await.is_empty());
    let moved = find("x@example.com").await;
    assert_eq!(moved[0].id, y[0].id);
    assert_eq!(moved[0].email.as_str(), "X@Example.com");
    assert!(!moved[0].subscribed);
    assert_totals_exact(&store, &a).await;
}

/// Copies from SQLite into `backend`, as `purrlist copy` does.
async fn copied_contacts_are_counted_once_even_when_the_copy_is_resumed(backend: Backend) {
    let dir = tempfile::tempdir().expect("tempdir");
    let source = open(&dir.path().join("source.db")).await;
    let workspace = source
        .create_workspace("A".into(), Timestamp::now())
        .await
        .expect("ws");
    let items: Vec<_> = (0..20)
        .map(|i| json!({"email": format!("u{i}@example.com"), "subscribed": i % 4 != 0}))
        .collect();
    bulk(&source, &workspace.id, json!(items)).await;
    let contacts = source
        .list_contacts(query(&workspace.id, None, 0))
        .await
        .expect("list")
        .contacts;

    let target = open_url(&backend.url("target.db")).await;
    let first_half = ImportRows {
        workspaces: vec![workspace.clone()],
        contacts: contacts[..10].to_vec(),
        ..ImportRows::default()
    };
    target.import(first_half).await.expect("copy");
    assert_eq!(
        target
            .list_contacts(query(&workspace.id, None, 0))
            .await
            .expect("list")
            .total,
        10
    );
    // A resumed copy sends everything again: the first ten are skipped, not counted twice.
    let everything = ImportRows {
        workspaces: vec![workspace.clone()],
        contacts: contacts.clone(),
        ..ImportRows::default()
    };
    target.import(everything).await.expect("copy again");
    let copied = target
        .list_contacts(query(&workspace.id, Some(false), 0))
        .await
        .expect("list");
    assert_eq!(copied.total, 5);
    assert_totals_exact(&target, &workspace.id).await;
}
