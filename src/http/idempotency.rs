//! `Idempotency-Key` on POST, PUT and DELETE under `/v1`: the first answer is kept in the
//! database (per API key, 24 h) and replayed with `Idempotent-Replayed: true`.
//!
//! Runs inside authentication (it needs the key) and around the handler. A crash between
//! a write's commit and the storing of its answer leaves the key running; once that is
//! older than the request time limit a retry runs again, which is safe because every
//! write is idempotent by content.

use super::AppState;
use super::auth::Caller;
use super::error::ApiError;
use crate::domain::idempotency::{IdempotencyBegin, IdempotencyClaim, StoredResponse, valid_key};
use crate::domain::ids::ApiKeyId;
use crate::domain::timestamp::Timestamp;
use crate::store::SharedStore;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The header on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long past the request time limit a running key is still taken as running.
const ABANDON_MARGIN: Duration = Duration::from_secs(30);

fn bad_key() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_header",
        "`Idempotency-Key` must be 1 to 255 visible ASCII characters.",
    )
    .with_field("Idempotency-Key")
}

/// SHA-256 over method, path, query and body: what makes two requests "the same".
pub fn request_hash(method: &Method, uri: &axum::http::Uri, body: &[u8]) -> Vec<u8> {
    let mut hash = Sha256::new();
    hash.update(method.as_str().as_bytes());
    hash.update(b"\n");
    hash.update(uri.path().as_bytes());
    hash.update(b"\n");
    hash.update(uri.query().unwrap_or("").as_bytes());
    hash.update(b"\n");
    hash.update(body);
    hash.finalize().to_vec()
}

fn replay(stored: StoredResponse) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = (status, Body::from(stored.body)).into_response();
    let headers = response.headers_mut();
    let mut set = |name, value: Option<String>| {
        if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
            headers.insert(name, v);
        }
    };
    set(header::CONTENT_TYPE, stored.content_type);
    set(header::ETAG, stored.etag);
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// Forgets a running key if the request is dropped (time limit, client gone) before it
/// answered, so a retry is not refused as in flight.
struct RunningKey {
    store: SharedStore,
    api_key: ApiKeyId,
    key: String,
    armed: bool,
}

impl Drop for RunningKey {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (store, api_key, key) = (
                self.store.clone(),
                self.api_key.clone(),
                std::mem::take(&mut self.key),
            );
            runtime.spawn(async move {
                if let Err(e) = store.release_idempotent(api_key, key).await {
                    tracing::warn!(error = %e, "could not release an idempotency key");
                }
            });
        }
    }
}

/// The writes that honour the header, by method and route; any other request (a wrong
/// method among them, which must stay a 405) passes through untouched.
const IDEMPOTENT_ROUTES: &[(Method, &str)] = &[
    (Method::POST, "/v1/contacts"),
    (Method::DELETE, "/v1/contacts"),
    (Method::PUT, "/v1/contacts/{id}"),
    (Method::DELETE, "/v1/contacts/{id}"),
];

/// The middleware; see the module docs.
pub async fn idempotent(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(MatchedPath::as_str);
    let applies = IDEMPOTENT_ROUTES
        .iter()
        .any(|(method, path)| method == req.method() && route == Some(*path));
    let raw_key = req.headers().get(IDEMPOTENCY_KEY).cloned();
    let caller = req.extensions().get::<Caller>().cloned();
    let (Some(raw_key), Some(caller), true) = (raw_key, caller, applies) else {
        return next.run(req).await;
    };
    let Some(key) = raw_key.to_str().ok().filter(|k| valid_key(k)) else {
        return bad_key().into_response();
    };
    let key = key.to_owned();
    let (parts, body) = req.into_parts();
    let limit = state.limits.bulk_body_bytes.max(state.limits.body_bytes);
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The request body is larger than this route accepts ({limit} bytes)."),
        )
        .into_response();
    };
    let now = Timestamp::now();
    let stale = state.limits.request_timeout + ABANDON_MARGIN;
    let claim = IdempotencyClaim {
        request_hash: request_hash(&parts.method, &parts.uri, &bytes),
        now,
        abandoned_before: Timestamp::from_millis(now.millis() - stale.as_millis() as i64),
    };
    let api_key = caller.key.id.clone();
    let begun = state
        .store
        .begin_idempotent(api_key.clone(), key.clone(), claim)
        .await;
    match begun {
        Err(e) => return ApiError::from(e).into_response(),
        Ok(IdempotencyBegin::Replay(stored)) => return replay(stored),
        Ok(IdempotencyBegin::Mismatch) => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "This Idempotency-Key was already used for a different request; use a new key.",
            )
            .with_field("Idempotency-Key")
            .into_response();
        }
        Ok(IdempotencyBegin::InFlight) => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_in_flight",
                "A request with this Idempotency-Key is still running; retry after it finishes.",
            )
            .with_field("Idempotency-Key")
            .into_response();
        }
        Ok(IdempotencyBegin::Started) => {}
    }
    let mut running = RunningKey {
        store: state.store.clone(),
        api_key: api_key.clone(),
        key: key.clone(),
        armed: true,
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = response.status();
    if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
        // Not an answer to keep: forget the key now, so a retry runs again.
        running.armed = false;
        if let Err(e) = state.store.release_idempotent(api_key, key).await {
            tracing::warn!(error = %e, "could not release an idempotency key");
        }
        return response;
    }
    let (head, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::internal("could not read a response body to keep it").into_response();
    };
    let text = |name| {
        head.headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let stored = StoredResponse {
        status: status.as_u16(),
        content_type: text(header::CONTENT_TYPE),
        etag: text(header::ETAG),
        body: body.to_vec(),
    };
    match state.store.finish_idempotent(api_key, key, stored).await {
        Ok(()) => running.armed = false,
        Err(e) => tracing::warn!(error = %e, "could not keep an idempotent answer"),
    }
    Response::from_parts(head, Body::from(body))
}
