//! PostgreSQL down or restarted: 503 `database_unavailable`, `/readyz` fails, and service
//! comes back by itself. The test owns the PostgreSQL it stops.

use crate::support::{Node, PrivateCluster, http, skipped, test_url, wait_until};
use serde_json::{Value, json};
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
