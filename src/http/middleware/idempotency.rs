//! `Idempotency-Key` on POST, PUT, PATCH and DELETE under `/v1`: the first answer is kept in the
//! database (per API key, 24 h) and replayed with `Idempotent-Replayed: true`.
//!
//! Runs inside authentication (it needs the key) and around the handler. A crash between
//! a write's commit and the storing of its answer leaves the key running; once that is
//! older than the request time limit a retry runs again, which is safe because every
//! write is idempotent by content.

use super::auth::Caller;
use crate::domain::idempotency::{IdempotencyBegin, IdempotencyClaim, StoredResponse, valid_key};
use crate::domain::ids::ApiKeyId;
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::request_body::read_raw;
use crate::store::ServerStore;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// The request header.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The header on a replayed answer.
pub const REPLAYED: &str = "idempotent-replayed";
/// How long past the request time limit a running key is still taken as running.
const ABANDON_MARGIN: Duration = Duration::from_secs(30);

fn bad_key() -> ApiError {
    ApiError::bad_header(
        "Idempotency-Key",
        "`Idempotency-Key` must be 1 to 255 visible ASCII characters.",
    )
}

/// SHA-256 over method, path, query and body: what makes two requests "the same".
pub fn request_hash(method: &Method, uri: &axum::http::Uri, body: &[u8]) -> Vec<u8> {
    let mut hash = RequestHasher::new(method, uri);
    hash.update(body);
    hash.finish()
}

/// [`request_hash`] fed the body piece by piece, for a body never held whole.
pub struct RequestHasher(Sha256);

impl RequestHasher {
    /// Starts with the request's method, path and query.
    pub fn new(method: &Method, uri: &axum::http::Uri) -> RequestHasher {
        let mut hash = Sha256::new();
        hash.update(method.as_str().as_bytes());
        hash.update(b"\n");
        hash.update(uri.path().as_bytes());
        hash.update(b"\n");
        hash.update(uri.query().unwrap_or("").as_bytes());
        hash.update(b"\n");
        RequestHasher(hash)
    }

    /// Adds the next piece of the body.
    pub fn update(&mut self, piece: &[u8]) {
        self.0.update(piece);
    }

    /// The hash.
    pub fn finish(self) -> Vec<u8> {
        self.0.finalize().to_vec()
    }
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
    store: Arc<dyn ServerStore>,
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
    (Method::PATCH, "/v1/workspaces/{id}"),
    (Method::POST, "/v1/webhooks"),
    (Method::PATCH, "/v1/webhooks/{id}"),
    (Method::DELETE, "/v1/webhooks/{id}"),
    (Method::POST, "/v1/webhooks/{id}/rotate-secret"),
    (Method::POST, "/v1/webhooks/{id}/replay"),
    (Method::POST, "/v1/webhooks/{id}/test"),
    (Method::POST, "/v1/suppressions"),
    (Method::DELETE, "/v1/suppressions/{id}"),
    (Method::POST, "/v1/privacy/erase"),
    (Method::POST, "/v1/inbound-secrets"),
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
    let caller = req.extensions().get::<Caller>().cloned();
    let (true, Some(caller)) = (applies, caller) else {
        return next.run(req).await;
    };
    let key = match idempotency_key(req.headers()) {
        Ok(Some(key)) => key,
        Ok(None) => return next.run(req).await,
        Err(e) => return e.into_response(),
    };
    let (parts, body) = req.into_parts();
    let limit = state.limits.bulk_body_bytes.max(state.limits.body_bytes);
    let bytes = match read_raw(&parts.headers, body, limit, state.limits.body_read_timeout).await {
        Ok(bytes) => bytes,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let hash = request_hash(&parts.method, &parts.uri, &bytes);
    let handle = next.run(Request::from_parts(parts, Body::from(bytes)));
    run_once(&state, caller.key.id.clone(), key, hash, handle).await
}

/// The `Idempotency-Key` of a request: `None` when it has none, 400 when it is malformed.
pub fn idempotency_key(headers: &axum::http::HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get(IDEMPOTENCY_KEY) {
        None => Ok(None),
        Some(raw) => raw
            .to_str()
            .ok()
            .filter(|k| valid_key(k))
            .map(|k| Some(k.to_owned()))
            .ok_or_else(bad_key),
    }
}

/// Runs `handle` once for (`api_key`, `key`) and a request whose hash is `request_hash`:
/// a first request runs and its answer is kept; a repeat gets the kept answer, another
/// request under the key 422, one while the first still runs 409. For the routes whose
/// bodies this middleware does not read (`POST /v1/imports` hashes its body as it spools it).
pub async fn run_once(
    state: &AppState,
    api_key: ApiKeyId,
    key: String,
    request_hash: Vec<u8>,
    handle: impl Future<Output = Response>,
) -> Response {
    let now = Timestamp::now();
    let stale = state.limits.request_timeout + ABANDON_MARGIN;
    let claim = IdempotencyClaim {
        request_hash,
        now,
        abandoned_before: Timestamp::from_millis(now.millis() - stale.as_millis() as i64),
    };
    let begun = state
        .store
        .begin_idempotent(api_key.clone(), key.clone(), claim)
        .await;
    match begun {
        Err(e) => return ApiError::from(e).into_response(),
        Ok(IdempotencyBegin::Replay(stored)) => return replay(stored),
        Ok(IdempotencyBegin::Mismatch) => {
            return ApiError::from(ErrorCode::IdempotencyKeyReused)
                .with_field("Idempotency-Key")
                .into_response();
        }
        Ok(IdempotencyBegin::InFlight) => {
            return ApiError::from(ErrorCode::IdempotencyKeyInFlight)
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
    let response = handle.await;
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
