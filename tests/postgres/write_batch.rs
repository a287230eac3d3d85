//! Batched PUTs on PostgreSQL (src/store/postgres/batcher.rs, write_batch.rs): writes that
//! queue together commit in one transaction, and a write that fails in the batch, whether
//! the domain refuses it or one of its statements fails, fails alone.
//!
//! The test makes the batch on purpose: with one batch writer (`PURRLIST_PG_BATCH_WRITERS=1`)
//! it holds the row of a first PUT locked from its own connection, so that PUT's batch
//! waits, and every PUT sent meanwhile queues into the next batch. Two of those change
//! their email to addresses that the test's own transactions have inserted and not yet
//! committed, so the batch's statements wait on them; the test commits them one at a time,
//! each once the batch waits on it, so the first makes the one-transaction attempt fail and
//! the second makes one write's statement fail inside its savepoint on the second attempt.

use crate::support::{FreshDatabase, Node, http, test_url, wait_until};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use serde_json::{Value, json};
use std::time::Duration;

fn pool(url: &str) -> Pool {
    let manager = Manager::from_config(
        url.parse().expect("url"),
        tokio_postgres::NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager).max_size(4).build().expect("pool")
}

/// A contact row with `email`, as the store writes one (only what the test needs differs).
const INSERT_CONTACT: &str = "INSERT INTO contacts (id, workspace_id, name, first_name, last_name, \
     email, email_norm, subscribed, unsub_token, custom_fields, created_at, updated_at, version) \
     VALUES ($1, $2, '', '', '', $3, $3, true, $4, '{}', 1700000000000, 1700000000000, 1)";

/// The transaction id a backend of this database is waiting for, if one is waiting.
async fn awaited_xid(watcher: &deadpool_postgres::Client) -> Option<String> {
    watcher
        .query_opt(
            "SELECT l.transactionid::text FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE NOT l.granted AND l.locktype = 'transactionid' AND a.datname = current_database() \
             LIMIT 1",
            &[],
        )
        .await
        .expect("pg_locks")
        .map(|row| row.get(0))
}

/// Creates contacts with these emails through the node (one bulk request); their ids.
async fn create(node: &Node, key: &str, workspace: &str, emails: &[String]) -> Vec<String> {
    let created: Value = http()
        .post(format!("{}/v1/contacts", node.base))
        .bearer_auth(key)
        .json(&json!({"newsletter_id": workspace,
            "contacts": emails.iter().map(|e| json!({"email": e})).collect::<Vec<_>>()}))
        .send()
        .await
        .expect("bulk")
        .json()
        .await
        .expect("bulk answer");
    created["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

/// Locks the contact's row in `tx` (as a long transaction elsewhere would); its id.
async fn lock_row(tx: &deadpool_postgres::Transaction<'_>, contact: &str) -> String {
    tx.execute(
        "SELECT 1 FROM contacts WHERE id = $1 FOR UPDATE",
        &[&contact],
    )
    .await
    .expect("lock");
    tx.query_one("SELECT pg_current_xact_id()::xid::text", &[])
        .await
        .expect("xid")
        .get(0)
}

async fn wait_for_xid(watcher: &deadpool_postgres::Client, xid: &str) {
    let seen = wait_until(Duration::from_secs(20), || async move {
        awaited_xid(watcher).await.as_deref() == Some(xid)
    })
    .await;
    assert!(seen, "a PUT batch never waited for transaction {xid}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_that_fails_in_a_batch_fails_alone_and_the_rest_commit_together() {
    let Some(admin) =
        test_url("a_write_that_fails_in_a_batch_fails_alone_and_the_rest_commit_together")
    else {
        return;
    };
    let db = FreshDatabase::create(&admin);
    let node = Node::start(&db.url, &[("PURRLIST_PG_BATCH_WRITERS", "1")]);
    let (workspace, key) = node.first_start.clone().expect("first start");
    let client = http();
    let put = |id: &str, body: Value, if_match: Option<&str>| {
        let mut request = client
            .put(format!("{}/v1/contacts/{id}", node.base))
            .bearer_auth(&key)
            .json(&body);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        async move {
            let response = request.send().await.expect("an answer");
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            (status, body)
        }
    };
    let emails: Vec<String> = (0..10).map(|i| format!("b{i}@example.com")).collect();
    let ids = create(&node, &key, &workspace, &emails).await;
    // 0: the blocker; 1-4: plain renames; 5: a stale If-Match; 6: the email of 1 (taken);
    // 7, 8: emails the test's transactions are inserting.
    let pool = pool(&db.url);
    let watcher = pool.get().await.expect("connection");
    let mut blocker_conn = pool.get().await.expect("connection");
    let blocker = blocker_conn.transaction().await.expect("begin");
    let blocker_xid = lock_row(&blocker, &ids[0]).await;
    let first = tokio::spawn(put(
        &ids[0],
        json!({"email": emails[0], "name": "first"}),
        None,
    ));
    wait_for_xid(&watcher, &blocker_xid).await;

    let mut racers = Vec::new();
    for (n, email) in ["raced7@example.com", "raced8@example.com"]
        .iter()
        .enumerate()
    {
        // A transaction left open on its connection, committed below with a plain COMMIT.
        let conn = pool.get().await.expect("connection");
        conn.batch_execute("BEGIN").await.expect("begin");
        let id = format!("con_racer{n}AAAAAAAAAAAAAAA");
        let token = format!("racer{n}tokenAAAAAAAAA");
        conn.execute(INSERT_CONTACT, &[&id, &workspace, email, &token])
            .await
            .expect("insert");
        let xid: String = conn
            .query_one("SELECT pg_current_xact_id()::xid::text", &[])
            .await
            .expect("xid")
            .get(0);
        racers.push((conn, xid));
    }

    let mut batch = Vec::new();
    for i in 1..5 {
        batch.push(tokio::spawn(put(
            &ids[i],
            json!({"email": emails[i], "name": format!("renamed {i}")}),
            None,
        )));
    }
    batch.push(tokio::spawn(put(
        &ids[5],
        json!({"email": emails[5], "name": "stale"}),
        Some("\"7\""),
    )));
    batch.push(tokio::spawn(put(
        &ids[6],
        json!({"email": emails[1]}),
        None,
    )));
    batch.push(tokio::spawn(put(
        &ids[7],
        json!({"email": "raced7@example.com"}),
        None,
    )));
    batch.push(tokio::spawn(put(
        &ids[8],
        json!({"email": "raced8@example.com"}),
        None,
    )));
    // Let them all reach the queue, then let the blocker's batch go.
    tokio::time::sleep(Duration::from_millis(500)).await;
    blocker.commit().await.expect("release the blocker");
    assert_eq!(first.await.expect("first").0, 200);

    // The batch waits on one racer, then (on its second try) on the other.
    for _ in 0..2 {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let at = loop {
            let awaited = awaited_xid(&watcher).await;
            if let Some(at) = racers
                .iter()
                .position(|(_, xid)| Some(xid) == awaited.as_ref())
            {
                break Some(at);
            }
            if std::time::Instant::now() > deadline {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let (conn, _) = racers.remove(at.expect("the batch waits on a racer"));
        conn.batch_execute("COMMIT").await.expect("commit racer");
    }

    let mut answers = Vec::new();
    for task in batch {
        answers.push(task.await.expect("task"));
    }
    let statuses: Vec<u16> = answers.iter().map(|(s, _)| *s).collect();
    assert_eq!(
        statuses,
        [200, 200, 200, 200, 412, 409, 409, 409],
        "{answers:?}"
    );
    let codes: Vec<&str> = answers[4..]
        .iter()
        .map(|(_, body)| body["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        codes,
        [
            "precondition_failed",
            "email_taken",
            "email_taken",
            "email_taken"
        ]
    );

    // The four renames committed in one transaction: their events share its id.
    let renamed = ids[1..5]
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    let transactions = db.query_i64(&format!(
        "SELECT count(DISTINCT feed_xid) FROM contact_events WHERE kind = 'updated' AND contact_id IN ({renamed})"
    ));
    let events = db.query_i64(&format!(
        "SELECT count(*) FROM contact_events WHERE kind = 'updated' AND contact_id IN ({renamed})"
    ));
    assert_eq!(
        (events, transactions),
        (4, 1),
        "the four renames, one transaction"
    );
    // The failed writes left nothing: their contacts are as created, with no event.
    let failed = ids[5..9]
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(",");
    let as_created = (5..9)
        .map(|i| format!("('{}', '{}')", ids[i], emails[i]))
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(
        db.query_i64(&format!(
            "SELECT count(*) FROM contacts WHERE (id, email) IN ({as_created}) AND version = 1"
        )),
        4
    );
    assert_eq!(
        db.query_i64(&format!(
            "SELECT count(*) FROM contact_events WHERE kind <> 'created' AND contact_id IN ({failed})"
        )),
        0
    );
}

/// One batch in flight at a time, but not behind a row lock held elsewhere: a PUT whose
/// contact is locked by another transaction waits, and a PUT of another contact sent after
/// it still commits (a second batch starts once the first has run `OVERLAP_AFTER`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_put_held_by_a_row_lock_does_not_stop_the_next() {
    let Some(admin) = test_url("a_put_held_by_a_row_lock_does_not_stop_the_next") else {
        return;
    };
    let db = FreshDatabase::create(&admin);
    let node = Node::start(&db.url, &[]);
    let (workspace, key) = node.first_start.clone().expect("first start");
    let client = http();
    let emails = ["held@example.com", "free@example.com"].map(String::from);
    let ids = create(&node, &key, &workspace, &emails).await;
    let id = |i: usize| ids[i].clone();
    let put = |id: String, name: &'static str| {
        let request = client
            .put(format!("{}/v1/contacts/{id}", node.base))
            .bearer_auth(&key)
            .json(&json!({"email": format!("{name}@example.com"), "name": name}));
        async move { request.send().await.expect("an answer").status().as_u16() }
    };
    let pool = pool(&db.url);
    let watcher = pool.get().await.expect("connection");
    let mut blocker_conn = pool.get().await.expect("connection");
    let blocker = blocker_conn.transaction().await.expect("begin");
    let blocker_xid = lock_row(&blocker, &id(0)).await;
    let held = tokio::spawn(put(id(0), "held"));
    wait_for_xid(&watcher, &blocker_xid).await;

    let free = tokio::time::timeout(Duration::from_secs(20), put(id(1), "free"))
        .await
        .expect("the other contact's PUT does not wait for the held one");
    assert_eq!(free, 200);
    assert!(!held.is_finished(), "the held PUT still waits for the lock");
    blocker.commit().await.expect("release");
    assert_eq!(held.await.expect("held"), 200);
}
