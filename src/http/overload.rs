//! A cap on requests in flight: past it the server answers `503 overloaded` at once
//! instead of queueing work it cannot finish in time.

use super::error::ApiError;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Paths never refused for load: liveness must answer while the server is busy.
const ALWAYS_SERVED: &[&str] = &["/healthz", "/metrics"];

/// Serves the request if one of `permits` is free, else refuses it with 503.
pub async fn shed_load(permits: Arc<Semaphore>, req: Request, next: Next) -> Response {
    if ALWAYS_SERVED.contains(&req.uri().path()) {
        return next.run(req).await;
    }
    match permits.try_acquire_owned() {
        Ok(_permit) => next.run(req).await,
        Err(_) => ApiError::overloaded().into_response(),
    }
}
