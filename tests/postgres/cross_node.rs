//! Conditional writes and idempotency keys hold across nodes (reliability.md §8): the
//! state they rest on is in the shared database, not in one node's memory.

use crate::support::{FreshDatabase, Node, http, test_url};
use serde_json::{Value, json};

async fn send(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_match_and_idempotency_keys_hold_across_nodes() {
    let Some(admin) = test_url("if_match_and_idempotency_keys_hold_across_nodes") else {
        return;
    };
    let database = FreshDatabase::create(&admin);
    let one = Node::start(&database.url, &[]);
    let two = Node::start(&database.url, &[]);
    let (workspace, key) = one
        .first_start
        .clone()
        .or_else(|| two.first_start.clone())
        .expect("one node made the first workspace and key");
    let client = http();
    let on = |node: &Node, method: reqwest::Method, path: &str| {
        client
            .request(method, format!("{}{path}", node.base))
            .bearer_auth(&key)
    };

    // An Idempotency-Key used through node one is replayed by node two.
    let body = json!({"newsletter_id": workspace, "contacts": [{"email": "x@example.com"}]});
    let (status, _, first) = send(
        on(&one, reqwest::Method::POST, "/v1/contacts")
            .header("idempotency-key", "cross-node-1")
            .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let (status, headers, again) = send(
        on(&two, reqwest::Method::POST, "/v1/contacts")
            .header("idempotency-key", "cross-node-1")
            .json(&body),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        headers.get("idempotent-replayed").map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    assert_eq!(again, first);
    let other_body = json!({"newsletter_id": workspace, "contacts": [{"email": "y@example.com"}]});
    let (status, _, reused) = send(
        on(&two, reqwest::Method::POST, "/v1/contacts")
            .header("idempotency-key", "cross-node-1")
            .json(&other_body),
    )
    .await;
    assert_eq!(
        (status, reused["code"].as_str()),
        (422, Some("idempotency_key_reused"))
    );

    // An ETag read on node one goes stale when node two writes; node one then refuses it.
    let id = first["results"][0]["id"].as_str().expect("id").to_owned();
    let path = format!("/v1/contacts/{id}");
    let (_, headers, _) = send(on(&one, reqwest::Method::GET, &path)).await;
    let etag = headers
        .get("etag")
        .expect("etag")
        .to_str()
        .expect("ascii")
        .to_owned();
    let (status, _, _) = send(
        on(&two, reqwest::Method::PUT, &path)
            .header("if-match", &etag)
            .json(&json!({"email": "x@example.com", "name": "from two"})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _, stale) = send(
        on(&one, reqwest::Method::PUT, &path)
            .header("if-match", &etag)
            .json(&json!({"email": "x@example.com", "name": "from one"})),
    )
    .await;
    assert_eq!(
        (status, stale["code"].as_str()),
        (412, Some("precondition_failed"))
    );
    let (_, _, now) = send(on(&one, reqwest::Method::GET, &path)).await;
    assert_eq!(now["name"], "from two", "the stale write changed nothing");
}
