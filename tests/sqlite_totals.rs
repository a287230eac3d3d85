//! The list `total` comes from counts kept by triggers and, for inserts, by the store
//! itself (migration 0004); these tests check it always
//! equals the contacts a full listing finds, through every kind of write.

use purrlist::domain::api_key::WorkspaceGrant;
use purrlist::domain::bulk::parse_bulk_item;
use purrlist::domain::contact::{Contact, ContactPatch};
use purrlist::domain::events::Actor;
use purrlist::domain::ids::WorkspaceId;
use purrlist::domain::target::{Precondition, Target};
use purrlist::domain::timestamp::Timestamp;
use purrlist::store::{self, ContactQuery, DeleteScope, ImportRows, SharedStore, StoreOptions};
use serde_json::json;

async fn open(path: &std::path::Path) -> SharedStore {
    store::open(
        &format!("sqlite://{}", path.display()),
        &StoreOptions::default(),
    )
    .await
    .expect("open store")
}

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

#[tokio::test]
async fn totals_stay_exact_through_every_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir.path().join("t.db")).await;
    let now = Timestamp::now();
    let a = store
        .create_workspace("A".into(), now)
        .await
        .expect("ws")
        .id;
    let b = store
        .create_workspace("B".into(), now)
        .await
        .expect("ws")
        .id;
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

#[tokio::test]
async fn counts_are_backfilled_when_an_older_database_is_migrated() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("old.db");
    let store = open(&path).await;
    let a = store
        .create_workspace("A".into(), Timestamp::now())
        .await
        .expect("ws")
        .id;
    let items: Vec<_> = (0..12)
        .map(|i| json!({"email": format!("u{i}@example.com"), "subscribed": i % 2 == 0}))
        .collect();
    bulk(&store, &a, json!(items)).await;
    drop(store);
    // Take the file back to schema 2, as a database from before the counts migration was.
    let conn = rusqlite::Connection::open(&path).expect("sqlite");
    conn.execute_batch(
        "DROP TRIGGER workspace_counts_on_new_workspace; DROP TRIGGER IF EXISTS workspace_counts_on_insert;
         DROP TRIGGER workspace_counts_on_delete; DROP TRIGGER workspace_counts_on_subscribed;
         DROP TABLE workspace_counts; PRAGMA user_version = 2;",
    )
    .expect("downgrade");
    drop(conn);
    let store = open(&path).await;
    let all = store.list_contacts(query(&a, None, 0)).await.expect("list");
    assert_eq!(all.total, 12);
    let subscribed = store
        .list_contacts(query(&a, Some(true), 0))
        .await
        .expect("list");
    assert_eq!(subscribed.total, 6);
    assert_totals_exact(&store, &a).await;
}

#[tokio::test]
async fn emails_moved_in_bulk_are_found_under_their_new_owner() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = open(&dir.path().join("swap.db")).await;
    let a = store
        .create_workspace("A".into(), Timestamp::now())
        .await
        .expect("ws")
        .id;
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

#[tokio::test]
async fn copied_contacts_are_counted_once_even_when_the_copy_is_resumed() {
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

    let target = open(&dir.path().join("target.db")).await;
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
