//! PostgreSQL down or restarted: 503 `database_unavailable`, `/readyz` fails, and service
//! comes back by itself. The test owns the PostgreSQL it stops.

use crate::support::{Node, PrivateCluster, http, skipped, test_url, wait_until};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("an answer, not a hang");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_answers_503_and_service_resumes_by_itself() {
    if test_url("database_outage_answers_503_and_service_resumes_by_itself").is_none() {
        return;
    }
    let Some(cluster) = PrivateCluster::start() else {
        skipped(
            "database_outage_answers_503_and_service_resumes_by_itself",
            "no initdb found under /usr/lib/postgresql/*/bin (set PURRLIST_TEST_PG_BIN)",
        );
        return;
    };
    let node = Node::start(
        &cluster.url(),
        &[("PURRLIST_REQUEST_TIMEOUT_SECONDS", "10")],
    );
    let (workspace, key) = node
        .first_start
        .clone()
        .expect("first start on an empty database");
    let client = http();
    let base = node.base.clone();
    let bulk = |email: &str| {
        client
            .post(format!("{base}/v1/contacts"))
            .bearer_auth(&key)
            .json(&json!({"newsletter_id": workspace, "contacts": [{"email": email}]}))
    };
    let (status, body) = answer(bulk("before@example.com")).await;
    assert_eq!(status, 200, "{body}");
    let id = body["results"][0]["id"].as_str().expect("id").to_owned();
    let get = || {
        client
            .get(format!("{base}/v1/contacts/{id}"))
            .bearer_auth(&key)
    };
    let ready = || client.get(format!("{base}/readyz"));

    cluster.stop();
    for (what, request) in [
        ("get", get()),
        ("bulk", bulk("during@example.com")),
        (
            "put",
            client
                .put(format!("{base}/v1/contacts/{id}"))
                .bearer_auth(&key)
                .json(&json!({"email": "before@example.com", "name": "x"})),
        ),
        (
            "list",
            client
                .get(format!("{base}/v1/contacts?newsletter_id={workspace}"))
                .bearer_auth(&key),
        ),
    ] {
        let (status, body) = answer(request).await;
        assert_eq!(status, 503, "{what} while the database is down: {body}");
        assert_eq!(body["code"], "database_unavailable", "{what}: {body}");
    }
    let (status, _) = answer(ready()).await;
    assert_eq!(status, 503, "/readyz while the database is down");

    cluster.start_again();
    let back = wait_until(Duration::from_secs(30), || async {
        answer(ready()).await.0 == 200
    })
    .await;
    assert!(back, "/readyz did not recover after PostgreSQL came back");
    let (status, body) = answer(get()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "before@example.com");
    assert_eq!(
        body["name"], "",
        "the write made during the outage must not have happened"
    );
    let (status, body) = answer(bulk("after@example.com")).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = answer(
        client
            .get(format!(
                "{base}/v1/contacts?newsletter_id={workspace}&email=during@example.com"
            ))
            .bearer_auth(&key),
    )
    .await;
    assert_eq!((status, body["total"].as_u64()), (200, Some(0)), "{body}");
}

/// One client's writes while the database restarts: every answer is 200 or 503, and every
/// contact answered 200 is there afterwards.
async fn write_until_stopped(
    client: reqwest::Client,
    base: String,
    key: String,
    workspace: String,
    writer: usize,
    stop: Arc<AtomicBool>,
) -> Vec<String> {
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let email = format!("w{writer}-{n}@example.com");
        let shared = format!("shared{}@example.com", n % 5);
        let request = client
            .post(format!("{base}/v1/contacts"))
            .bearer_auth(&key)
            .json(&json!({"newsletter_id": workspace, "contacts": [{"email": email}, {"email": shared}]}));
        let (status, body) = answer(request).await;
        match status {
            200 => acknowledged.push(email),
            503 => assert!(
                ["database_unavailable", "request_timeout"]
                    .contains(&body["code"].as_str().unwrap_or("")),
                "{body}"
            ),
            other => panic!("answered {other} during a database restart: {body}"),
        }
    }
    acknowledged
}

async fn contact_total(client: &reqwest::Client, base: &str, key: &str, workspace: &str) -> u64 {
    let (status, body) = answer(
        client
            .get(format!(
                "{base}/v1/contacts?newsletter_id={workspace}&limit=1"
            ))
            .bearer_auth(key),
    )
    .await;
    if status == 200 {
        body["total"].as_u64().unwrap_or(0)
    } else {
        0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_during_a_database_restart_are_answered_200_or_503_and_kept() {
    let test = "writes_during_a_database_restart_are_answered_200_or_503_and_kept";
    if test_url(test).is_none() {
        return;
    }
    let Some(cluster) = PrivateCluster::start() else {
        skipped(
            test,
            "no initdb found under /usr/lib/postgresql/*/bin (set PURRLIST_TEST_PG_BIN)",
        );
        return;
    };
    let node = Node::start(
        &cluster.url(),
        &[("PURRLIST_REQUEST_TIMEOUT_SECONDS", "10")],
    );
    let (workspace, key) = node.first_start.clone().expect("first start");
    let client = http();
    let base = node.base.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            tokio::spawn(write_until_stopped(
                client.clone(),
                base.clone(),
                key.clone(),
                workspace.clone(),
                w,
                stop.clone(),
            ))
        })
        .collect();
    // Let writes through, restart under load, then see writes succeed again.
    let started = wait_until(Duration::from_secs(30), || async {
        contact_total(&client, &base, &key, &workspace).await > 10
    })
    .await;
    assert!(started, "no writes went through before the restart");
    tokio::task::block_in_place(|| {
        cluster.stop();
        cluster.start_again();
    });
    let before = contact_total(&client, &base, &key, &workspace).await;
    let resumed = wait_until(Duration::from_secs(30), || async {
        contact_total(&client, &base, &key, &workspace).await > before + 20
    })
    .await;
    assert!(resumed, "writes did not resume after the restart");
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.expect("writer finished"));
    }
    for email in &acknowledged {
        let (status, body) = answer(
            client
                .get(format!(
                    "{base}/v1/contacts?newsletter_id={workspace}&email={email}"
                ))
                .bearer_auth(&key),
        )
        .await;
        assert_eq!(
            (status, body["total"].as_u64()),
            (200, Some(1)),
            "{email} was acknowledged but is gone"
        );
    }
}
