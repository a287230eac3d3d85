//! Reading an answer whole, and the checks that hold for every answer the server gives.

use purrlist::http::error::ErrorCode;
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
    send_allowing(request, None).await
}

/// Like [`send`], but `allowed` (a 5xx the test provokes on purpose, such as `503
/// overloaded`) is an answer to check, not a failure.
pub async fn send_allowing(request: RequestBuilder, allowed: Option<u16>) -> Reply {
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
    assert!(
        status < 500 || Some(status) == allowed,
        "server error: {status} {}",
        reply.text
    );
    assert!(reply.header("x-request-id").is_some(), "no x-request-id");
    if status >= 400 {
        assert_error_envelope(&reply);
    }
    reply
}

/// An error body: a registered `code` with the registry's status, a non-empty `message`,
/// registered codes in `details`, JSON content type.
#[track_caller]
fn assert_error_envelope(reply: &Reply) {
    let code = reply.json["code"].as_str();
    let registered = ErrorCode::ALL.iter().find(|c| Some(c.as_str()) == code);
    let Some(registered) = registered else {
        panic!("unregistered or missing code: {}", reply.text);
    };
    assert_eq!(
        reply.status,
        registered.status().as_u16(),
        "the registry's status for {}: {}",
        registered.as_str(),
        reply.text
    );
    let message = reply.json["message"].as_str().unwrap_or("");
    assert!(!message.trim().is_empty(), "empty message: {}", reply.text);
    for detail in reply.json["details"].as_array().into_iter().flatten() {
        let code = detail["code"].as_str();
        assert!(
            ErrorCode::ALL.iter().any(|c| Some(c.as_str()) == code),
            "unregistered code in details: {}",
            reply.text
        );
    }
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8"),
        "error content type"
    );
}
