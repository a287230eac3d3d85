//! Clients that hold a connection without finishing anything (security.md, "Slow
//! clients"): silent connections and half-sent HTTP/2 headers are closed, a body that stops
//! coming is `408 body_timeout`, a made-up unsubscribe token is answered before its body is
//! read, and slow public requests cannot take the API's places. Raw sockets, so the client
//! can stop exactly where an attacker would.

use crate::helpers::*;
use crate::limits::{host, list, other_key, with};
use purrlist::http::Limits;
use serde_json::json;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// A server on SQLite with `limits` (these tests are about connections, not storage).
async fn spawn(limits: Limits) -> TestApp {
    TestApp::spawn_with(Backend::Sqlite, with(limits))
        .await
        .expect("SQLite is always available")
}

/// Generous: only a server that never closes or never answers runs into it.
const PATIENCE: Duration = Duration::from_secs(60);

/// Connects, sends `bytes`, and returns everything the server sends until it closes the
/// connection; panics if it is still open after [`PATIENCE`].
async fn send_then_read_until_closed(host: String, bytes: Vec<u8>) -> Vec<u8> {
    tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(host).expect("connect");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        stream.write_all(&bytes).expect("send");
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => return received,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return received,
                Err(e) => panic!("the server kept the connection open: {e}"),
            }
        }
    })
    .await
    .expect("client thread")
}

fn quick(limits: Limits) -> Limits {
    Limits {
        header_read_timeout: Duration::from_millis(500),
        ..limits
    }
}

#[tokio::test]
async fn a_connection_that_never_sends_a_byte_is_closed() {
    let app = spawn(quick(Limits::default())).await;
    let received = send_then_read_until_closed(host(&app), Vec::new()).await;
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn an_http2_connection_with_unfinished_headers_is_closed() {
    let app = spawn(quick(Limits::default())).await;
    let mut bytes = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".to_vec();
    bytes.extend([0, 0, 0, 0x4, 0, 0, 0, 0, 0]); // SETTINGS, empty
    bytes.extend([0, 0, 1, 0x1, 0, 0, 0, 0, 1, 0x82]); // HEADERS on stream 1, no END_HEADERS
    let received = send_then_read_until_closed(host(&app), bytes).await;
    assert!(
        !received.is_empty(),
        "the server spoke HTTP/2 before closing"
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_its_answer() {
    let app = spawn(quick(Limits::default())).await;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {}\r\n\r\n", host(&app));
    let received = send_then_read_until_closed(host(&app), request.into_bytes()).await;
    assert!(received.starts_with(b"HTTP/1.1 200"));
}

/// Creates a contact through the API and returns its `unsub_token`.
async fn unsub_token(app: &TestApp) -> String {
    let url = format!("{}/v1/contacts", app.address);
    let body = json!({"newsletter_id": app.workspace, "contacts": [{"email": "slow@example.com"}]});
    let reply = send(app.client.post(url).bearer_auth(&app.api_key).json(&body)).await;
    reply.expect_status(200);
    let id = reply.json["results"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let url = format!("{}/v1/contacts/{id}", app.address);
    let contact = send(app.client.get(url).bearer_auth(&app.api_key)).await;
    contact.json["unsub_token"]
        .as_str()
        .expect("token")
        .to_owned()
}

/// The head of a request announcing a 1000-byte body, and its first byte.
fn stalled_head(host: &str, method_path: &str, extra: &str) -> Vec<u8> {
    format!("{method_path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Length: 1000\r\n\r\nL")
        .into_bytes()
}

#[tokio::test]
async fn a_made_up_unsubscribe_token_is_answered_without_waiting_for_its_body() {
    let app = spawn(Limits {
        body_read_timeout: Duration::from_secs(120),
        request_timeout: Duration::from_secs(240),
        ..Limits::default()
    })
    .await;
    for token in ["AAAAAAAAAAAAAAAAAAAAA", "short"] {
        let head = stalled_head(&host(&app), &format!("POST /u/{token}"), "");
        let received = send_then_read_until_closed(host(&app), head).await;
        let text = String::from_utf8_lossy(&received);
        assert!(text.starts_with("HTTP/1.1 404"), "{text}");
    }
}

#[tokio::test]
async fn a_body_that_stops_coming_is_408_body_timeout_and_the_connection_closes() {
    let app = spawn(Limits {
        body_read_timeout: Duration::from_millis(500),
        ..Limits::default()
    })
    .await;
    let token = unsub_token(&app).await;
    let key = format!(
        "Authorization: Bearer {}\r\nContent-Type: application/json\r\n",
        app.api_key
    );
    for (request, extra, body_says) in [
        (
            "POST /v1/contacts".to_owned(),
            key.as_str(),
            "\"code\":\"body_timeout\"",
        ),
        (format!("POST /u/{token}"), "", "did not arrive"),
    ] {
        let head = stalled_head(&host(&app), &request, extra);
        let received = send_then_read_until_closed(host(&app), head).await;
        let text = String::from_utf8_lossy(&received);
        assert!(text.starts_with("HTTP/1.1 408"), "{request}: {text}");
        assert!(
            text.to_ascii_lowercase().contains("connection: close"),
            "{text}"
        );
        assert!(text.contains(body_says), "{text}");
    }
}

#[tokio::test]
async fn slow_public_requests_cannot_make_the_api_answer_503() {
    let app = spawn(Limits {
        max_concurrent_requests: 2,
        max_concurrent_public_requests: 2,
        body_read_timeout: Duration::from_secs(120),
        request_timeout: Duration::from_secs(240),
        ..Limits::default()
    })
    .await;
    let token = unsub_token(&app).await;
    // Slow unsubscribe POSTs, held open, one more each round until the public budget is
    // full. A fixed batch is not enough: on a slow machine a probe GET can hold one place
    // while the batch arrives, the batch's extra POSTs are refused and closed, and the
    // place the probe frees then answers every later probe. By the clock, not by a count.
    let host = host(&app);
    let head = stalled_head(&host, &format!("POST /u/{token}"), "");
    let mut held = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut full = None;
    while std::time::Instant::now() < deadline {
        let (host, head) = (host.clone(), head.clone());
        held.push(
            tokio::task::spawn_blocking(move || {
                let mut stream = TcpStream::connect(&host).expect("connect");
                stream.write_all(&head).expect("send");
                stream
            })
            .await
            .expect("client thread"),
        );
        // Let the server take the POST in before the probe competes for its place.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let reply = crate::unsubscribe::open_page(&app, &token).await;
        assert!([200, 503].contains(&reply.status), "{}", reply.text);
        if reply.status == 503 {
            full = Some(reply);
            break;
        }
    }
    // A person who opened the link gets a page, not the API's JSON envelope.
    let full = full.expect("the slow POSTs fill the public budget");
    assert_eq!(
        full.header("content-type"),
        "text/html; charset=utf-8",
        "{}",
        full.text
    );
    assert_eq!(full.header("retry-after"), "1");
    assert!(full.text.contains("try again"), "{}", full.text);
    for key in [app.api_key.clone(), other_key(&app).await] {
        list(&app, &key).await.expect_status(200);
    }
}
