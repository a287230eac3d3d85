//! Reading an answer whole, and the checks that hold for every answer the server gives.

use purrlist::http::error::ERROR_CODES;
use reqwest::RequestBuilder;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// An answer, read whole.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub text: String,
    /// The body as JSON (`Null` when it is empty or not JSON).
    pub json: Value,
}

impl Reply {
    /// The error code of an error answer.
    pub fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or("<no code>")
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Panics with the body unless the status is `status`.
    #[track_caller]
    pub fn expect_status(&self, status: u16) -> &Reply {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }

    /// Panics unless this is an error with `status` and `code`.
    #[track_caller]
    pub fn expect_error(&self, status: u16, code: &str) -> &Reply {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "body: {}",
            self.text
        );
        self
    }
}

/// Sends a request and reads the answer, checking what holds for every answer:
/// never a 5xx, an `x-request-id`, and every error in the envelope with a registered code.
pub async fn send(request: RequestBuilder) -> Reply {
    let response = request.send().await.expect("request reaches the server");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("read body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    let reply = Reply {
        status,
        headers,
        text,
        json,
    };
    assert!(status < 500, "server error: {status} {}", reply.text);
    assert!(reply.header("x-request-id").is_some(), "no x-request-id");
    if status >= 400 {
        assert_error_envelope(&reply);
    }
    reply
}

/// An error body: a registered `code`, a non-empty `message`, JSON content type.
#[track_caller]
fn assert_error_envelope(reply: &Reply) {
    let code = reply.json["code"].as_str();
    assert!(
        code.is_some_and(|c| ERROR_CODES.contains(&c)),
        "unregistered or missing code: {}",
        reply.text
    );
    let message = reply.json["message"].as_str().unwrap_or("");
    assert!(!message.trim().is_empty(), "empty message: {}", reply.text);
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8"),
        "error content type"
    );
}
