//! Requests HTTP itself calls malformed are refused with `400 invalid_header` before
//! anything else looks at them: an HTTP/1.1 request without a `Host` header, any request
//! with more than one (RFC 9112 §3.2), and more than one `Authorization` (a singleton
//! field: which of two keys was meant cannot be known, and a proxy may have judged the
//! other one).

use crate::http::error::{ApiError, ErrorCode};
use axum::extract::Request;
use axum::http::{HeaderName, Version, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

fn count(req: &Request, name: &HeaderName) -> usize {
    req.headers().get_all(name).iter().count()
}

fn refusal(req: &Request) -> Option<ApiError> {
    let bad = |field: &str, message: &str| {
        Some(ApiError::new(ErrorCode::InvalidHeader, message).with_field(field))
    };
    let hosts = count(req, &header::HOST);
    if hosts > 1 {
        return bad(
            "Host",
            "The request has more than one `Host` header; send one.",
        );
    }
    if hosts == 0 && req.version() == Version::HTTP_11 {
        return bad(
            "Host",
            "An HTTP/1.1 request needs a `Host` header (RFC 9112 §3.2).",
        );
    }
    if count(req, &header::AUTHORIZATION) > 1 {
        return bad(
            "Authorization",
            "The request has more than one `Authorization` header; send one key.",
        );
    }
    None
}

/// Refuses a malformed request with 400; passes every other on.
pub async fn require_well_formed(req: Request, next: Next) -> Response {
    match refusal(&req) {
        Some(error) => error.into_response(),
        None => next.run(req).await,
    }
}
