//! Around every request: a request id, a log line, and the time limit.

use super::error::ApiError;
use crate::domain::ids::random_body;
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// The request id header, taken from the client when it sends a sane one.
pub const REQUEST_ID: &str = "x-request-id";

fn request_id(req: &Request) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map_or_else(|| random_body(21), str::to_owned)
}

/// Gives every request an id (echoed in `x-request-id`), a tracing span, a closing
/// log line with status and latency (debug level, warn for 5xx), and a time limit answered with 503.
pub async fn observe(timeout: Duration, req: Request, next: Next) -> Response {
    let id = request_id(&req);
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
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
    if headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/json")
    {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}
