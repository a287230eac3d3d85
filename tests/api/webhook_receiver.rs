//! A real webhook receiver on loopback for the tests: an HTTP server that keeps every
//! request, answers the status the test sets, and checks each signature with its own
//! HMAC-SHA256 (the hmac crate, not purrlist's signing code). Also what the tests check
//! of a run: the feed's ids, the ids accepted in order.

use crate::helpers::{TestApp, send};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use reqwest::Method;
use serde_json::Value;
use sha2::Sha256;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: String,
    /// `webhook-signature`.
    pub signature: String,
    /// The raw body.
    pub body: Vec<u8>,
    /// The status it was answered.
    pub answered: u16,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    /// Whether one of the signatures is the HMAC of `id.timestamp.body` under `secret`.
    pub fn signed_by(&self, secret: &str) -> bool {
        let key = STANDARD
            .decode(secret.strip_prefix("whsec_").expect("whsec_ secret"))
            .expect("base64 secret");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
        mac.update(format!("{}.{}.", self.id, self.timestamp).as_bytes());
        mac.update(&self.body);
        let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
        self.signature.split(' ').any(|s| s == expected)
    }
}

/// The receiver: `url(path)` to point an endpoint at it.
#[derive(Clone)]
pub struct Receiver {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    /// Starts one on a free loopback port, answering 200.
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let receiver = Receiver {
            base,
            got: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
        };
        let r = receiver.clone();
        let app = axum::Router::new().fallback(
            move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                let r = r.clone();
                async move {
                    let header = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned()
                    };
                    let answered = r.status.load(Ordering::SeqCst);
                    r.got.lock().expect("lock").push(Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body: body.to_vec(),
                        answered,
                    });
                    axum::http::StatusCode::from_u16(answered).expect("status")
                }
            },
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        receiver
    }

    /// The URL of a path on it.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Answers every later request with `status`.
    pub fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    /// Every request so far.
    pub fn all(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// Waits (by the clock, 60 s at most) until `done` holds for what arrived.
    pub async fn wait_until(
        &self,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let all = self.all();
            if done(&all) {
                return all;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "waited 60 s for {what}; got {} requests",
                all.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Every event id of the test workspace's feed, in order.
pub async fn feed_ids(app: &TestApp) -> Vec<String> {
    let reply = send(app.req(
        Method::GET,
        &format!("/v1/events?newsletter_id={}&limit=1000", app.workspace),
    ))
    .await;
    reply.json["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The ids the receiver accepted, in order, a resend of the one just accepted counted once.
pub fn accepted_ids(got: &[Received]) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    for r in got.iter().filter(|r| r.answered < 300) {
        if ids.last() != Some(&r.id) {
            ids.push(r.id.clone());
        }
    }
    ids
}

/// Waits until the receiver accepted every event of the feed and checks it got each once,
/// in feed order (a resend of the one just accepted aside); returns the feed and the requests.
pub async fn feed_arrives_in_order(
    app: &TestApp,
    receiver: &Receiver,
) -> (Vec<String>, Vec<Received>) {
    let feed = feed_ids(app).await;
    let got = receiver
        .wait_until("every event of the feed", |got| {
            accepted_ids(got).len() >= feed.len()
        })
        .await;
    assert_eq!(accepted_ids(&got), feed, "each event once, in feed order");
    (feed, got)
}
