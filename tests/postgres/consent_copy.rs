//! `purrlist copy` SQLite → PostgreSQL carries consent state that lives outside the
//! contacts (issue 15): a pending confirmation whose link then works on PostgreSQL, and an
//! inbound secret whose Postmark URL then suppresses the address on PostgreSQL.

use crate::support::{FreshDatabase, Node, http, run_cli, sqlite_url, test_url};
use serde_json::{Value, json};

const BOUNCE: &str = include_str!("../fixtures/inbound/postmark/bounce-hard.json");

async fn call(method: reqwest::Method, url: &str, key: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = http().request(method, url).bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn copy_carries_pending_confirmations_and_inbound_secrets() {
    let Some(admin) = test_url("copy_carries_pending_confirmations_and_inbound_secrets") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = sqlite_url(dir.path(), "source.db");
    let node = Node::start(&sqlite, &[]);
    let (workspace, key) = node.first_start.clone().expect("first start");
    let get = reqwest::Method::GET;
    let post = reqwest::Method::POST;

    let contacts = json!({"newsletter_id": workspace, "contacts": [
        {"email": "pending@example.com", "confirm": true},
        {"email": "john@example.com"}
    ]});
    let (status, bulk) = call(
        post.clone(),
        &format!("{}/v1/contacts", node.base),
        &key,
        Some(contacts),
    )
    .await;
    assert_eq!(status, 200, "{bulk}");
    let pending = bulk["results"][0]["id"].as_str().expect("id").to_owned();
    let (_, events) = call(
        get.clone(),
        &format!("{}/v1/events?newsletter_id={workspace}", node.base),
        &key,
        None,
    )
    .await;
    let link = events["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|e| e["type"] == "confirmation_requested")
        .and_then(|e| e["confirmation"]["url"].as_str())
        .expect("a confirmation link")
        .to_owned();
    let token = link.rsplit('/').next().expect("token").to_owned();
    let secret_body = json!({"newsletter_id": workspace});
    let (status, secret) = call(
        post.clone(),
        &format!("{}/v1/inbound-secrets", node.base),
        &key,
        Some(secret_body),
    )
    .await;
    assert_eq!(status, 201, "{secret}");
    let postmark = secret["postmark_url"].as_str().expect("postmark_url");
    let postmark_path = postmark
        .strip_prefix(&node.base)
        .expect("on this node")
        .to_owned();
    drop(node);

    let db = FreshDatabase::create(&admin);
    let copied = run_cli(&["copy", "--from", &sqlite, "--to", &db.url]);
    let out = String::from_utf8_lossy(&copied.stdout).into_owned();
    assert!(
        copied.status.success(),
        "{}",
        String::from_utf8_lossy(&copied.stderr)
    );
    assert!(out.contains("1 pending confirmation(s)"), "{out}");

    let node = Node::start(&db.url, &[]);
    let page = http()
        .get(format!("{}/c/{token}", node.base))
        .send()
        .await
        .expect("GET");
    assert_eq!(page.status().as_u16(), 200, "the link works after the move");
    let pressed = http()
        .post(format!("{}/c/{token}", node.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .expect("POST");
    assert_eq!(pressed.status().as_u16(), 200);
    let (_, contact) = call(
        get,
        &format!("{}/v1/contacts/{pending}", node.base),
        &key,
        None,
    )
    .await;
    assert_eq!(contact["subscribed"], json!(true), "{contact}");

    let report = http()
        .post(format!("{}{postmark_path}", node.base))
        .header("content-type", "application/json")
        .body(BOUNCE)
        .send()
        .await
        .expect("inbound");
    assert_eq!(report.status().as_u16(), 200, "the secret came along");
    let url = format!("{}/v1/suppressions?newsletter_id={workspace}", node.base);
    let (status, listed) = call(reqwest::Method::GET, &url, &key, None).await;
    assert_eq!(status, 200, "{listed}");
    let emails: Vec<&str> = listed["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter_map(|s| s["email"].as_str())
        .collect();
    assert_eq!(emails, ["john@example.com"], "{listed}");
}
