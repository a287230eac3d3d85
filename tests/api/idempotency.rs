//! Idempotency-Key on POST, PUT and DELETE (api.md §4).

use crate::helpers::*;
use purrlist::domain::api_key::WorkspaceGrant;
use purrlist::domain::idempotency::{IdempotencyBegin, IdempotencyClaim, StoredResponse};
use purrlist::domain::timestamp::Timestamp;
use purrlist::http::middleware::idempotency::request_hash;
use reqwest::Method;
use serde_json::{Value, json};

const HOUR: i64 = 3_600_000;

fn bulk_body(app: &TestApp, email: &str) -> Value {
    json!({"newsletter_id": app.workspace, "contacts": [{"email": email}]})
}

async fn post_with(app: &TestApp, key: &str, secret: &str, body: &Value) -> Reply {
    send(
        app.req_as(secret, Method::POST, "/v1/contacts")
            .header("idempotency-key", key)
            .json(body),
    )
    .await
}

fn replayed(reply: &Reply) -> bool {
    reply.header("idempotent-replayed") == Some("true")
}

/// The hash the server computes for `POST /v1/contacts` with `body` sent by reqwest's `.json`.
fn bulk_hash(body: &Value) -> Vec<u8> {
    let uri: axum::http::Uri = "/v1/contacts".parse().expect("uri");
    request_hash(
        &Method::POST,
        &uri,
        &serde_json::to_vec(body).expect("json"),
    )
}

backend_test!(
    a_retry_replays_the_first_answer_and_writes_nothing,
    |app| async move {
        let body = bulk_body(&app, "i@example.com");
        let first = post_with(&app, "k1", &app.api_key, &body).await;
        first.expect_status(200);
        assert!(!replayed(&first));
        let events = app.snapshot().await;
        let again = post_with(&app, "k1", &app.api_key, &body).await;
        again.expect_status(200);
        assert!(replayed(&again));
        assert_eq!(again.text, first.text, "byte for byte");
        assert_eq!(again.json["results"][0]["status"], json!("created"));
        assert_eq!(app.snapshot().await, events);

        let id = first.json["results"][0]["id"].as_str().expect("id");
        let put = || {
            send(
                app.req(Method::PUT, &format!("/v1/contacts/{id}"))
                    .header("idempotency-key", "k2")
                    .json(&json!({"email": "i@example.com", "name": "I"})),
            )
        };
        let (p1, p2) = (put().await, put().await);
        assert!(replayed(&p2) && !replayed(&p1));
        assert_eq!((p2.status, &p2.text), (200, &p1.text));
        assert_eq!(p2.header("etag"), p1.header("etag"));
        assert_eq!(p2.header("content-type"), p1.header("content-type"));

        let delete = || {
            send(
                app.req(Method::DELETE, &format!("/v1/contacts/{id}"))
                    .header("idempotency-key", "k3"),
            )
        };
        delete().await.expect_status(204);
        let d2 = delete().await;
        assert_eq!(d2.status, 204, "the retry is not a 404");
        assert!(replayed(&d2));
    }
);

backend_test!(a_key_reused_for_another_request_is_422, |app| async move {
    post_with(
        &app,
        "same",
        &app.api_key,
        &bulk_body(&app, "a@example.com"),
    )
    .await
    .expect_status(200);
    post_with(
        &app,
        "same",
        &app.api_key,
        &bulk_body(&app, "b@example.com"),
    )
    .await
    .expect_error(422, "idempotency_key_reused");
    send(
        app.req(
            Method::DELETE,
            &format!("/v1/contacts?newsletter_id={}", app.workspace),
        )
        .header("idempotency-key", "same"),
    )
    .await
    .expect_error(422, "idempotency_key_reused");
    assert_eq!(app.list_all().await.len(), 1);
});

backend_test!(
    the_same_key_in_flight_is_409_until_abandoned,
    |app| async move {
        let key = app.key(WorkspaceGrant::All, false).await;
        let body = bulk_body(&app, "f@example.com");
        let claim = |age_ms: i64| IdempotencyClaim {
            request_hash: bulk_hash(&body),
            now: Timestamp::from_millis(Timestamp::now().millis() - age_ms),
            abandoned_before: Timestamp::from_millis(0),
        };
        // A request with this key is running right now (as another node would mark it).
        let begun = app
            .store
            .begin_idempotent(key.id.clone(), "busy".into(), claim(0))
            .await
            .expect("begin");
        assert_eq!(begun, IdempotencyBegin::Started);
        post_with(&app, "busy", &key.secret, &body)
            .await
            .expect_error(409, "idempotency_key_in_flight");
        assert!(app.list_all().await.is_empty());
        // One still marked running past the time limit (its node died) is taken over.
        app.store
            .begin_idempotent(key.id.clone(), "dead".into(), claim(HOUR))
            .await
            .expect("begin");
        let reply = post_with(&app, "dead", &key.secret, &body).await;
        reply.expect_status(200);
        assert!(!replayed(&reply));
    }
);

backend_test!(keys_belong_to_one_api_key, |app| async move {
    let other = app.key(WorkspaceGrant::All, false).await;
    let body = bulk_body(&app, "k@example.com");
    post_with(&app, "shared", &app.api_key, &body)
        .await
        .expect_status(200);
    let theirs = post_with(&app, "shared", &other.secret, &body).await;
    theirs.expect_status(200);
    assert!(!replayed(&theirs), "another key's answer is never replayed");
    assert_eq!(theirs.json["results"][0]["status"], json!("unchanged"));
});

backend_test!(keys_expire_after_24_hours, |app| async move {
    let key = app.key(WorkspaceGrant::All, false).await;
    let old = |hours: i64| IdempotencyClaim {
        request_hash: b"an older request".to_vec(),
        now: Timestamp::from_millis(Timestamp::now().millis() - hours * HOUR),
        abandoned_before: Timestamp::from_millis(0),
    };
    let answer = StoredResponse {
        status: 200,
        content_type: Some("application/json".into()),
        etag: None,
        body: b"{\"kept\": true}".to_vec(),
    };
    for (name, hours) in [("day-old", 25), ("fresh", 23)] {
        app.store
            .begin_idempotent(key.id.clone(), name.into(), old(hours))
            .await
            .expect("begin");
        app.store
            .finish_idempotent(key.id.clone(), name.into(), answer.clone())
            .await
            .expect("finish");
    }
    let body = bulk_body(&app, "x@example.com");
    let expired = post_with(&app, "day-old", &key.secret, &body).await;
    expired.expect_status(200);
    assert!(!replayed(&expired), "a key older than 24 h is free again");
    post_with(&app, "fresh", &key.secret, &body)
        .await
        .expect_error(422, "idempotency_key_reused");
    let pruned =
        purrlist::app::prune_once(&*app.store, std::time::Duration::ZERO, Timestamp::now())
            .await
            .expect("prune");
    assert_eq!(
        pruned,
        (0, 0),
        "the expired key was replaced, the fresh one kept"
    );
});

backend_test!(
    client_errors_are_kept_and_bad_keys_refused,
    |app| async move {
        let bad = || {
            send(
                app.req(Method::POST, "/v1/contacts")
                    .header("idempotency-key", "err")
                    .json(&json!({"newsletter_id": app.workspace, "contacts": []})),
            )
        };
        bad().await.expect_error(400, "invalid_field");
        let again = bad().await;
        again.expect_error(400, "invalid_field");
        assert!(replayed(&again));
        let long = "k".repeat(256);
        for key in ["", long.as_str(), "has space", "caf\u{e9}"] {
            let Ok(value) = reqwest::header::HeaderValue::from_bytes(key.as_bytes()) else {
                continue;
            };
            send(
                app.req(Method::POST, "/v1/contacts")
                    .header("idempotency-key", value)
                    .json(&bulk_body(&app, "z@example.com")),
            )
            .await
            .expect_error(400, "invalid_header");
        }
        // A GET ignores the header.
        let get = send(
            app.req(Method::GET, "/v1/contacts")
                .header("idempotency-key", "g"),
        )
        .await;
        assert!(!replayed(&get));
        assert!(app.list_all().await.is_empty());
    }
);

backend_test!(a_wrong_method_with_a_key_is_still_405, |app| async move {
    for key in ["k", "not visible ascii"] {
        let reply = send(
            app.req(Method::PUT, "/v1/contacts")
                .header("idempotency-key", key)
                .json(&bulk_body(&app, "m@example.com")),
        )
        .await;
        reply.expect_status(405);
        assert_eq!(reply.json["code"], json!("method_not_allowed"));
    }
    assert!(app.snapshot().await.is_empty(), "nothing was written");
});
