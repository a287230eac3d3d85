//! Rate limiting per API key, the cap on requests in flight, and the request time limit
//! (api.md error codes `rate_limited`, `overloaded`, `request_timeout`), on servers started
//! with those settings.

use crate::helpers::*;
use purrlist::app::{Application, create_key};
use purrlist::config::Config;
use purrlist::domain::api_key::WorkspaceGrant;
use purrlist::domain::timestamp::Timestamp;
use purrlist::http::Limits;
use purrlist::http::rate_limit::RateLimit;
use purrlist::store::StoreOptions;
use reqwest::Method;
use std::io::Write;
use std::time::Duration;

/// A server on SQLite with `limits`, a workspace and two full-access keys.
struct LimitedApp {
    address: String,
    workspace: String,
    keys: [String; 2],
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl LimitedApp {
    async fn spawn(limits: Limits) -> LimitedApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("limits.db").display());
        let store = purrlist::store::open(&url, &StoreOptions::default())
            .await
            .expect("open store");
        let config = Config {
            listen: "127.0.0.1:0".to_owned(),
            key_cache: Duration::ZERO,
            limits,
            ..Config::default()
        };
        let app = Application::build(&config, store.clone())
            .await
            .expect("build");
        let address = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until(std::future::pending()));
        let workspace = store
            .create_workspace("Limited".to_owned(), Timestamp::now())
            .await
            .expect("workspace");
        let mut keys = Vec::new();
        for _ in 0..2 {
            let (_, secret) = create_key(&store, "k".to_owned(), WorkspaceGrant::All, false)
                .await
                .expect("key");
            keys.push(secret.expose().to_owned());
        }
        LimitedApp {
            address,
            workspace: workspace.id.to_string(),
            keys: [keys[0].clone(), keys[1].clone()],
            client: reqwest::Client::new(),
            _dir: dir,
        }
    }

    async fn list(&self, key: &str) -> Reply {
        let url = format!(
            "{}/v1/contacts?newsletter_id={}",
            self.address, self.workspace
        );
        send(self.client.request(Method::GET, url).bearer_auth(key)).await
    }

    fn host(&self) -> String {
        self.address.trim_start_matches("http://").to_owned()
    }
}

/// Like `send`, but a 503 is an answer these tests expect, not a failure.
async fn send_expecting_503(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request reaches the server");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("read body");
    let json = serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
    Reply {
        status,
        headers,
        text,
        json,
    }
}

fn limited(per_second: u32, burst: u32) -> Limits {
    Limits {
        rate_limit: RateLimit { per_second, burst },
        ..Limits::default()
    }
}

fn number(reply: &Reply, header: &str) -> u64 {
    reply
        .header(header)
        .unwrap_or_else(|| panic!("{header} missing"))
        .parse()
        .expect("a number")
}

/// Sends until the first 429 (the bucket refills at 1/s, far slower than these requests);
/// returns the answers before it and the 429.
async fn drain(app: &LimitedApp, key: &str) -> (Vec<Reply>, Reply) {
    let mut allowed = Vec::new();
    for _ in 0..100 {
        let reply = app.list(key).await;
        if reply.status == 429 {
            return (allowed, reply);
        }
        reply.expect_status(200);
        allowed.push(reply);
    }
    panic!("no 429 after 100 requests");
}

#[tokio::test]
async fn a_key_past_its_burst_gets_429_rate_limited_with_retry_after() {
    let app = LimitedApp::spawn(limited(1, 5)).await;
    let (allowed, refused) = drain(&app, &app.keys[0]).await;
    assert!(
        allowed.len() >= 5,
        "the whole burst is allowed: {}",
        allowed.len()
    );
    for reply in &allowed {
        assert_eq!(number(reply, "ratelimit-limit"), 5);
    }
    let remaining: Vec<u64> = allowed
        .iter()
        .map(|r| number(r, "ratelimit-remaining"))
        .collect();
    assert_eq!(remaining[..5], [4, 3, 2, 1, 0], "{remaining:?}");
    refused.expect_error(429, "rate_limited");
    assert!(number(&refused, "retry-after") >= 1);
    assert_eq!(number(&refused, "ratelimit-remaining"), 0);
    assert!(number(&refused, "ratelimit-reset") >= 1);
    assert_eq!(number(&refused, "ratelimit-limit"), 5);
}

#[tokio::test]
async fn one_key_at_its_limit_never_blocks_another_key() {
    let app = LimitedApp::spawn(limited(1, 3)).await;
    let (_, refused) = drain(&app, &app.keys[0]).await;
    refused.expect_error(429, "rate_limited");
    let other = app.list(&app.keys[1]).await;
    other.expect_status(200);
    assert_eq!(
        number(&other, "ratelimit-remaining"),
        2,
        "a full bucket of its own"
    );
}

#[tokio::test]
async fn requests_without_a_valid_key_are_not_counted_against_any_key() {
    let app = LimitedApp::spawn(limited(1, 2)).await;
    for _ in 0..10 {
        let reply = app.list("purr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
        reply.expect_error(401, "unauthorized");
        assert!(reply.header("ratelimit-limit").is_none());
    }
    let reply = app.list(&app.keys[0]).await;
    reply.expect_status(200);
    assert_eq!(number(&reply, "ratelimit-remaining"), 1);
}

#[tokio::test]
async fn rate_limiting_is_off_by_default() {
    let app = LimitedApp::spawn(Limits::default()).await;
    for _ in 0..50 {
        let reply = app.list(&app.keys[0]).await;
        reply.expect_status(200);
        assert!(reply.header("ratelimit-limit").is_none());
    }
}

/// Opens a request whose body never finishes, so it holds its slot until dropped.
async fn stalled_request(app: &LimitedApp) -> std::net::TcpStream {
    let host = app.host();
    let head = format!(
        "POST /v1/contacts HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"contacts\": [",
        app.keys[0]
    );
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(host).expect("connect");
        stream.write_all(head.as_bytes()).expect("write head");
        stream
    })
    .await
    .expect("stalled request")
}

/// Waits until the server answers `overloaded`, i.e. the stalled request holds the slot.
async fn until_overloaded(app: &LimitedApp) -> Reply {
    let url = format!(
        "{}/v1/contacts?newsletter_id={}",
        app.address, app.workspace
    );
    for _ in 0..500 {
        let reply = send_expecting_503(app.client.get(&url).bearer_auth(&app.keys[1])).await;
        if reply.status == 503 {
            return reply;
        }
        reply.expect_status(200);
        tokio::task::yield_now().await;
    }
    panic!("the stalled request never took the slot");
}

#[tokio::test]
async fn past_the_cap_on_requests_in_flight_the_answer_is_503_overloaded_at_once() {
    let app = LimitedApp::spawn(Limits {
        max_concurrent_requests: 1,
        ..Limits::default()
    })
    .await;
    let stalled = stalled_request(&app).await;
    let refused = until_overloaded(&app).await;
    refused.expect_error(503, "overloaded");
    assert_eq!(refused.header("retry-after"), Some("1"));
    // Liveness still answers while the server is full.
    let health = send(app.client.get(format!("{}/healthz", app.address))).await;
    health.expect_status(200);
    drop(stalled);
    // The slot comes back once the stalled request is gone.
    let url = format!(
        "{}/v1/contacts?newsletter_id={}",
        app.address, app.workspace
    );
    for _ in 0..500 {
        let reply = send_expecting_503(app.client.get(&url).bearer_auth(&app.keys[1])).await;
        if reply.status == 200 {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("the slot never came back");
}

#[tokio::test]
async fn a_request_past_the_time_limit_is_503_request_timeout() {
    let app = LimitedApp::spawn(Limits {
        request_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let mut stalled = stalled_request(&app).await;
    let answer = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut buffer = [0u8; 4096];
        let n = stalled.read(&mut buffer).expect("read the answer");
        String::from_utf8_lossy(&buffer[..n]).into_owned()
    })
    .await
    .expect("answer");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("request_timeout"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("retry-after: 1"),
        "{answer}"
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = LimitedApp::spawn(Limits {
        header_read_timeout: Duration::from_secs(1),
        ..Limits::default()
    })
    .await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let closed = tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut slow = std::net::TcpStream::connect(address).expect("connect");
        // Generous, so only a server that never closes makes the read time out.
        slow.set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .expect("partial headers");
        let mut rest = Vec::new();
        slow.read_to_end(&mut rest).map(|_| rest)
    })
    .await
    .expect("reader");
    let rest = closed.expect("the server closes the connection instead of waiting forever");
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "no answer to an unfinished request"
    );
}

/// Sends `GET /healthz` on `stream` and returns the status line of the answer.
fn health_on(stream: &mut std::net::TcpStream) -> String {
    use std::io::{BufRead, BufReader};
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("send");
    let mut line = String::new();
    BufReader::new(stream.try_clone().expect("clone"))
        .read_line(&mut line)
        .expect("status line");
    line
}

#[tokio::test]
async fn connections_past_the_cap_per_address_are_refused_with_429() {
    let app = LimitedApp::spawn(Limits {
        max_connections_per_address: 2,
        ..Limits::default()
    })
    .await;
    let host = app.host();
    let answers = tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let connect = || {
            let stream = std::net::TcpStream::connect(&host).expect("connect");
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .expect("timeout");
            stream
        };
        let (mut first, mut second) = (connect(), connect());
        let held = [health_on(&mut first), health_on(&mut second)];
        // The third is answered at once, whatever it sends, and closed.
        let mut third = connect();
        let mut refusal = String::new();
        third.read_to_string(&mut refusal).expect("refusal");
        // Closing one of the two frees its place.
        drop(first);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let after = loop {
            let mut again = connect();
            let line = health_on(&mut again);
            if line.contains("200") || std::time::Instant::now() > deadline {
                break line;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        (held, refusal, after)
    })
    .await
    .expect("client thread");
    let (held, refusal, after) = answers;
    for line in &held {
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    }
    assert!(refusal.starts_with("HTTP/1.1 429"), "{refusal}");
    assert!(
        refusal.contains("\"code\":\"too_many_connections\""),
        "{refusal}"
    );
    assert!(
        refusal.to_ascii_lowercase().contains("retry-after: 1"),
        "{refusal}"
    );
    assert!(after.starts_with("HTTP/1.1 200"), "{after}");
    // Off by default: twenty connections held open at once from one address are all served.
    let default_app = LimitedApp::spawn(Limits::default()).await;
    let host = default_app.host();
    let lines = tokio::task::spawn_blocking(move || {
        let mut open: Vec<std::net::TcpStream> = (0..20)
            .map(|_| std::net::TcpStream::connect(&host).expect("connect"))
            .collect();
        open.iter_mut().map(health_on).collect::<Vec<_>>()
    })
    .await
    .expect("client thread");
    for line in &lines {
        assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    }
}
