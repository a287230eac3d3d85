//! `POST /v1/webhooks/{id}/replay {"after"}` sends exactly the events the feed lists after
//! that cursor, in feed order (api.md §6). On PostgreSQL feed order is not seq order (an
//! older transaction can commit an event with a higher seq before a younger one's: see
//! src/store/postgres/events.rs), so the test builds that case with a held transaction and
//! replays from a cursor whose seq is higher than the endpoint's position but which comes
//! before it in the feed.

use crate::helpers::*;
use crate::webhook_receiver::{Receiver, accepted_ids, feed_arrives_in_order, feed_ids};
use crate::webhooks_api::allowing_private;
use purrlist::domain::events::{Actor, ContactEvent, EventKind};
use purrlist::domain::evidence::{Evidence, WriteEvidence};
use purrlist::domain::ids::{ContactId, WorkspaceId};
use purrlist::domain::timestamp::Timestamp;
use reqwest::Method;
use serde_json::{Map, json};

/// On PostgreSQL: an event of `older` committed with a higher seq than one of a new
/// contact that a younger transaction committed first, so the two are in feed order
/// (older, new) but in seq order (new, older). Returns true when it did that.
async fn commit_out_of_seq_order(app: &TestApp, older: &str) -> bool {
    let url = app.database_url();
    if !url.starts_with("postgres") {
        return false;
    }
    let manager = deadpool_postgres::Manager::from_config(
        url.parse().expect("url"),
        tokio_postgres::NoTls,
        deadpool_postgres::ManagerConfig {
            recycling_method: deadpool_postgres::RecyclingMethod::Fast,
        },
    );
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(1)
        .build()
        .expect("pool");
    let mut held = pool.get().await.expect("connection");
    let tx = held.transaction().await.expect("begin");
    // The older transaction takes its id first, as a write of anything else would...
    tx.execute("SELECT pg_current_xact_id()", &[])
        .await
        .expect("xid");
    // ...a younger one commits an event through purrlist...
    app.upsert(json!([{"email": "younger@x.example"}])).await;
    // ...then the older one writes its event (a higher seq) and commits.
    tx.execute(
        "UPDATE contacts SET name = 'older' WHERE id = $1",
        &[&older],
    )
    .await
    .expect("update");
    let mut changes = Map::new();
    changes.insert("name".into(), json!({"old": "", "new": "older"}));
    let event = ContactEvent {
        kind: EventKind::Updated,
        contact_id: ContactId::from_stored(older.to_owned()),
        workspace_id: WorkspaceId::from_stored(app.workspace.clone()),
        changes,
    };
    let evidence = Evidence::from_source("cli");
    purrlist::store::postgres::record_events(
        &tx,
        &[event],
        &Actor::Cli,
        &WriteEvidence::same_for_all(&evidence),
        Timestamp::now(),
    )
    .await
    .expect("record");
    tx.commit().await.expect("commit");
    true
}

/// Replays after `after`, then writes a marker and waits for it: delivery is in order, so
/// everything the replay sends arrives before the marker. Returns what arrived, marker
/// excluded.
async fn replayed_after(
    app: &TestApp,
    receiver: &Receiver,
    hook: &str,
    after: &str,
) -> Vec<String> {
    let before = receiver.all().len();
    send(
        app.req(Method::POST, &format!("/v1/webhooks/{hook}/replay"))
            .json(&json!({"after": after})),
    )
    .await
    .expect_status(202);
    app.upsert(json!([{"email": format!("marker-{after}@x.example")}]))
        .await;
    let marker = feed_ids(app).await.last().cloned().expect("the marker");
    let got = receiver
        .wait_until("the marker", |got| {
            accepted_ids(&got[before..]).contains(&marker)
        })
        .await;
    let mut ids = accepted_ids(&got[before..]);
    assert_eq!(ids.pop().as_ref(), Some(&marker), "the marker comes last");
    ids
}

backend_test!(
    replay_after_a_cursor_sends_exactly_what_the_feed_lists_after_it,
    config = allowing_private(),
    |app| async move {
        let receiver = Receiver::start().await;
        let hook = app
            .create_webhook(&receiver.url("/replay"), json!({}))
            .await;
        let hook = hook["id"].as_str().expect("id").to_owned();
        let mut first = String::new();
        for i in 0..5 {
            let contact = app
                .new_contact(json!({"email": format!("r{i}@x.example")}))
                .await;
            if i == 0 {
                first = id_of(&contact).to_owned();
            }
        }
        let built = commit_out_of_seq_order(&app, &first).await;
        let (feed, _) = feed_arrives_in_order(&app, &receiver).await;
        let seqs: Vec<i64> = feed.iter().map(|id| id.parse().expect("seq")).collect();
        if built {
            // The last two in feed order are (older, younger) with seqs (higher, lower).
            assert!(seqs[seqs.len() - 2] > seqs[seqs.len() - 1], "{feed:?}");
        }
        // From the second to last: a cursor whose seq may be above the endpoint's position
        // (the last event) and still come before it in the feed.
        let after = &feed[feed.len() - 2];
        assert_eq!(
            replayed_after(&app, &receiver, &hook, after).await,
            feed[feed.len() - 1..].to_vec(),
            "after {after} (feed {feed:?})"
        );
        // From further back: everything after it, in feed order.
        let feed = feed_ids(&app).await;
        assert_eq!(
            replayed_after(&app, &receiver, &hook, &feed[2]).await,
            feed[3..].to_vec(),
            "after {} (feed {feed:?})",
            feed[2]
        );
        // The endpoint's own position: nothing to send again (a replay never moves forward).
        let feed = feed_ids(&app).await;
        let last = feed.last().cloned().expect("events");
        assert_eq!(
            replayed_after(&app, &receiver, &hook, &last).await,
            Vec::<String>::new(),
            "after {last} (feed {feed:?})"
        );
    }
);
