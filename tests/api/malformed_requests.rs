//! Requests HTTP calls malformed (api.md, "Protocol"): a missing or doubled `Host`, two
//! `Authorization` headers, request ids that could forge log fields; and the headers every
//! JSON answer carries.

use crate::helpers::*;
use crate::secrets::start_logging;
use reqwest::Method;
use std::io::{Read, Write};
use std::time::Duration;

/// Sends `head` (a whole request without a body) on a new connection; returns the answer.
async fn raw(app: &TestApp, head: String) -> String {
    let host = app.address.trim_start_matches("http://").to_owned();
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(host).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        stream.write_all(head.as_bytes()).expect("send");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .expect("client thread")
}

#[tokio::test]
async fn http11_without_host_or_with_two_is_400_and_http10_needs_none() {
    let app = TestApp::spawn().await;
    for (head, status) in [
        ("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", "400"),
        (
            "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
            "400",
        ),
        ("GET /healthz HTTP/1.0\r\n\r\n", "200"),
        (
            "GET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
            "200",
        ),
    ] {
        let answer = raw(&app, head.to_owned()).await;
        assert_eq!(answer.split(' ').nth(1), Some(status), "{head:?}: {answer}");
        if status == "400" {
            assert!(answer.contains(r#""code":"invalid_header""#), "{answer}");
            assert!(answer.contains(r#""field":"Host""#), "{answer}");
        }
    }
}

backend_test!(
    two_authorization_headers_are_400_even_when_both_are_valid,
    |app| async move {
        let path = format!("/v1/contacts?newsletter_id={}", app.workspace);
        let bearer = format!("Bearer {}", app.api_key);
        let reply = send(
            app.anonymous(Method::GET, &path)
                .header("authorization", &bearer)
                .header("authorization", &bearer),
        )
        .await;
        reply.expect_error(400, "invalid_header");
        assert_eq!(reply.json["field"], "Authorization");
        send(
            app.anonymous(Method::GET, &path)
                .header("authorization", &bearer),
        )
        .await
        .expect_status(200);
    }
);

#[tokio::test]
async fn a_request_id_outside_the_safe_set_is_replaced_and_a_safe_one_kept() {
    let app = TestApp::spawn().await;
    let longest = "a".repeat(128);
    for (sent, kept) in [
        ("trace-me_42.v1", true),
        (longest.as_str(), true),
        (&*"a".repeat(129), false),
        ("fake}_method=GET", false),
        ("a b", false),
        ("\"quoted\"", false),
    ] {
        let reply = send(
            app.req(Method::GET, "/healthz")
                .header("x-request-id", sent),
        )
        .await;
        let id = reply.header("x-request-id").expect("id");
        assert_eq!(id == sent, kept, "{sent:?} -> {id:?}");
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)),
            "{id}"
        );
    }
}

backend_test!(json_answers_are_not_cached_or_sniffed, |app| async move {
    let contact = app
        .new_contact(serde_json::json!({"email": "h@example.com"}))
        .await;
    for (request, status) in [
        (
            app.req(Method::GET, &format!("/v1/contacts/{}", id_of(&contact))),
            200,
        ),
        (
            app.req(
                Method::GET,
                &format!("/v1/contacts?newsletter_id={}", app.workspace),
            ),
            200,
        ),
        (app.anonymous(Method::GET, "/v1/contacts"), 401),
        (app.req(Method::GET, "/v1/nope"), 404),
        (app.anonymous(Method::GET, "/healthz"), 200),
    ] {
        let reply = send(request).await;
        reply.expect_status(status);
        assert_eq!(
            reply.header("cache-control"),
            Some("no-store"),
            "{}",
            reply.text
        );
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    }
});

/// The real binary with the text log and the access line on: a forged request id must not
/// show up as fields of its own.
#[tokio::test]
async fn the_text_log_cannot_be_forged_through_the_request_id() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("server.log");
    let database = format!("sqlite://{}", dir.path().join("forge.db").display());
    let server = start_logging(&database, &log, "info,purrlist::access=debug");
    let client = reqwest::Client::new();
    let forged = r#"fake}_method=GET_route=/admin_key_id="key_FORGED""#;
    for id in [forged, "honest-id-1"] {
        let reply = send(
            client
                .get(format!("{}/healthz", server.address))
                .header("x-request-id", id),
        )
        .await;
        reply.expect_status(200);
    }
    drop(server);
    let text = std::fs::read_to_string(&log).expect("log");
    assert!(
        text.contains("request_id=honest-id-1"),
        "the access line is on: {text}"
    );
    for forgery in ["key_FORGED", "route=/admin", "fake}"] {
        assert!(!text.contains(forgery), "{forgery} in the log: {text}");
    }
}
