//! `Purrlist-Position`: read-your-writes across read replicas (`store::position`). The
//! answer to an API write carries the database's WAL position after its commit (when
//! read replicas are configured); an API request that sends one back is read from a
//! replica only if that replica has replayed that far, else from the primary. A header
//! that is not such a position is refused (400 `invalid_header`) before anything runs.
//!
//! Innermost layer: it wraps the handler alone, so the position is the handler's writes'.

use crate::http::error::ApiError;
use crate::store::position::{self, Position};
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The request and response header.
pub const POSITION: &str = "purrlist-position";

/// Tracks the position an API request sent and the one its writes reached.
pub async fn track_position(request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/v1/") {
        return next.run(request).await;
    }
    let floor = match request.headers().get(POSITION) {
        None => None,
        Some(value) => match value.to_str().ok().and_then(|v| v.parse::<Position>().ok()) {
            Some(position) => Some(position),
            None => {
                return ApiError::bad_header(
                    "Purrlist-Position",
                    "`Purrlist-Position` must be a position from an earlier answer, such as `16/B374D848`.",
                )
                .into_response();
            }
        },
    };
    let (mut response, written) = position::track(floor, next.run(request)).await;
    if let Some(written) = written
        && let Ok(value) = HeaderValue::from_str(&written.to_string())
    {
        response.headers_mut().insert(POSITION, value);
    }
    response
}
