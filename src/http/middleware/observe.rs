//! Around every request: a request id, a log line, the time limit, and the headers every
//! JSON answer carries.

use crate::domain::ids::random_body;
use crate::http::Limits;
use crate::http::error::ApiError;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// The request id header, taken from the client when it sends a safe one.
pub const REQUEST_ID: &str = "x-request-id";

/// A client's id is kept only if it is 1–128 of `A-Za-z0-9._-`: nothing that could end a
/// field or start another in a log line (quotes, `=`, `}`, spaces), whatever the format.
fn is_safe_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_safe_request_id(v))
        .map_or_else(|| random_body(21), str::to_owned)
}

/// Headers of every JSON answer: never cached (answers hold personal data), never
/// sniffed as another type.
const JSON_HEADERS: [(header::HeaderName, &str); 2] = [
    (header::CACHE_CONTROL, "no-store"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
];

/// A request's time limit: an import's body may take `import_body_read_timeout` more.
fn time_limit(limits: &Limits, method: &Method, route: &str) -> Duration {
    if method == Method::POST && route == "/v1/imports" {
        limits.request_timeout + limits.import_body_read_timeout
    } else {
        limits.request_timeout
    }
}

/// Gives every request an id (echoed in `x-request-id`), a tracing span, a closing
/// log line with status and latency (debug level, warn for 5xx), and a time limit answered
/// with 503; marks JSON answers not to be cached or sniffed, and closes after a 408.
pub async fn observe(limits: Limits, mut req: Request, next: Next) -> Response {
    let id = request_id(&req);
    // Writes keep it with their events (`http::client_evidence`).
    req.extensions_mut()
        .insert(crate::http::client_evidence::RequestId(id.clone()));
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let timeout = time_limit(&limits, req.method(), &route);
    // An error-level span stays on under any log filter, so error lines keep their request id.
    let span = tracing::error_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        route = %route,
        key_id = tracing::field::Empty,
    );
    let started = Instant::now();
    let mut response = async move {
        match tokio::time::timeout(timeout, next.run(req)).await {
            Ok(response) => response,
            Err(_) => ApiError::timeout().into_response(),
        }
    }
    .instrument(span.clone())
    .await;
    let status = response.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    // The access line is opt-in (PURRLIST_LOG=info,purrlist::access=debug): at info it
    // cost a formatted stderr write per request; server errors are always logged.
    if status >= 500 {
        span.in_scope(
            || tracing::warn!(target: "purrlist::access", status, elapsed_ms, "request done"),
        );
    } else {
        span.in_scope(
            || tracing::debug!(target: "purrlist::access", status, elapsed_ms, "request done"),
        );
    }
    let headers = response.headers_mut();
    let content_type = headers.get(header::CONTENT_TYPE);
    if content_type.is_some_and(|v| v.as_bytes().starts_with(b"application/json")) {
        if content_type.is_some_and(|v| v == "application/json") {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
        }
        for (name, value) in JSON_HEADERS {
            headers
                .entry(name)
                .or_insert(HeaderValue::from_static(value));
        }
    }
    if status == 408 {
        // The body was cut off mid-way: the rest of it must not be read as a next request.
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
