//! Rate limiting per API key, the cap on requests in flight, and the request time limit
//! (api.md error codes `rate_limited`, `overloaded`, `request_timeout`), on servers started
//! with those settings, on every backend.

use crate::helpers::*;
use purrlist::config::Config;
use purrlist::domain::api_key::WorkspaceGrant;
use purrlist::http::Limits;
use purrlist::http::middleware::rate_limit::RateLimit;
use reqwest::Method;
use std::io::Write;
use std::time::Duration;

/// The test configuration with `limits`.
pub(crate) fn with(limits: Limits) -> Config {
    Config {
        limits,
        ..TestApp::config()
    }
}

/// `GET /v1/contacts` of the test workspace with `key`; a `503` is an answer here.
pub(crate) async fn list(app: &TestApp, key: &str) -> Reply {
    let path = format!("/v1/contacts?newsletter_id={}", app.workspace);
    send_allowing(app.req_as(key, Method::GET, &path), Some(503)).await
}

/// A second full-access key, with a rate-limit bucket of its own.
pub(crate) async fn other_key(app: &TestApp) -> String {
    app.key(WorkspaceGrant::All, false).await.secret
}

pub(crate) fn host(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
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
async fn drain(app: &TestApp, key: &str) -> (Vec<Reply>, Reply) {
    let mut allowed = Vec::new();
    for _ in 0..100 {
        let reply = list(app, key).await;
        if reply.status == 429 {
            return (allowed, reply);
        }
        reply.expect_status(200);
        allowed.push(reply);
    }
    panic!("no 429 after 100 requests");
}

backend_test!(
    a_key_past_its_burst_gets_429_rate_limited_with_retry_after,
    config = with(limited(1, 5)),
    |app| async move {
        let (allowed, refused) = drain(&app, &app.api_key).await;
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
);

backend_test!(
    one_key_at_its_limit_never_blocks_another_key,
    config = with(limited(1, 3)),
    |app| async move {
        let other_key = other_key(&app).await;
        let (_, refused) = drain(&app, &app.api_key).await;
        refused.expect_error(429, "rate_limited");
        let other = list(&app, &other_key).await;
        other.expect_status(200);
        assert_eq!(
            number(&other, "ratelimit-remaining"),
            2,
            "a full bucket of its own"
        );
    }
);

backend_test!(
    requests_without_a_valid_key_are_not_counted_against_any_key,
    config = with(limited(1, 2)),
    |app| async move {
        for _ in 0..10 {
            let reply = list(&app, "purr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").await;
            reply.expect_error(401, "unauthorized");
            assert!(reply.header("ratelimit-limit").is_none());
        }
        let reply = list(&app, &app.api_key).await;
        reply.expect_status(200);
        assert_eq!(number(&reply, "ratelimit-remaining"), 1);
    }
);

backend_test!(rate_limiting_is_off_by_default, |app| async move {
    for _ in 0..50 {
        let reply = list(&app, &app.api_key).await;
        reply.expect_status(200);
        assert!(reply.header("ratelimit-limit").is_none());
    }
});

/// Opens a request whose body never finishes, so it holds its slot until dropped.
async fn stalled_request(app: &TestApp) -> std::net::TcpStream {
    let host = host(app);
    let head = format!(
        "POST /v1/contacts HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"contacts\": [",
        app.api_key
    );
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(host).expect("connect");
        stream.write_all(head.as_bytes()).expect("write head");
        stream
    })
    .await
    .expect("stalled request")
}

/// Lists until the answer has `status` (each answer is 200 or 503): the first answer after
/// the server's state changed.
async fn until_status(app: &TestApp, status: u16, what: &str) -> Reply {
    // By the clock, not by a count: on a busy machine the server can take seconds
    // to get to the held connection.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        let reply = list(app, &app.api_key).await;
        if reply.status == status {
            return reply;
        }
        assert!([200, 503].contains(&reply.status), "{}", reply.text);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{what}");
}

backend_test!(
    past_the_cap_on_requests_in_flight_the_answer_is_503_overloaded_at_once,
    config = with(Limits {
        max_concurrent_requests: 1,
        ..Limits::default()
    }),
    |app| async move {
        // One more stalled request each round until one holds the slot: a probe that holds
        // it when a stalled request arrives gets that request refused and closed instead.
        let mut stalled = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let refused = loop {
            assert!(
                std::time::Instant::now() < deadline,
                "the stalled requests never took the slot"
            );
            stalled.push(stalled_request(&app).await);
            tokio::time::sleep(Duration::from_millis(50)).await;
            let reply = list(&app, &app.api_key).await;
            assert!([200, 503].contains(&reply.status), "{}", reply.text);
            if reply.status == 503 {
                break reply;
            }
        };
        refused.expect_error(503, "overloaded");
        assert_eq!(refused.header("retry-after"), Some("1"));
        // Liveness still answers while the server is full.
        let health = send(app.anonymous(Method::GET, "/healthz")).await;
        health.expect_status(200);
        drop(stalled);
        // The slot comes back once the stalled request is gone.
        until_status(&app, 200, "the slot never came back").await;
    }
);

backend_test!(
    a_request_past_the_time_limit_is_503_request_timeout,
    config = with(Limits {
        request_timeout: Duration::from_secs(1),
        ..Limits::default()
    }),
    |app| async move {
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
);

backend_test!(
    a_client_that_never_finishes_its_headers_is_disconnected,
    config = with(Limits {
        header_read_timeout: Duration::from_secs(1),
        ..Limits::default()
    }),
    |app| async move {
        let address = host(&app);
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
);

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

backend_test!(
    connections_past_the_cap_per_address_are_refused_with_429,
    config = with(Limits {
        max_connections_per_address: 2,
        ..Limits::default()
    }),
    |app| async move {
        let host = host(&app);
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
    }
);

backend_test!(
    connections_per_address_are_not_capped_by_default,
    |app| async move {
        // Twenty connections held open at once from one address are all served.
        let host = host(&app);
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
);
