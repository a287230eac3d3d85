//! The HTTP surface: thin handlers that extract, call domain and store, map errors.

pub mod auth;
pub mod body;
pub mod bulk;
pub mod conditional;
pub mod connection_limit;
pub mod contact_json;
pub mod contacts;
pub mod error;
pub mod events;
pub mod health;
pub mod idempotency;
pub mod key_cache;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod openapi_responses;
pub mod openapi_schemas;
pub mod overload;
pub mod pages;
pub mod query;
pub mod rate_limit;
pub mod reference_page;
pub mod server;
pub mod unsubscribe;

use crate::domain::ids::WorkspaceId;
use crate::store::SharedStore;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::{get, post};
use error::ApiError;
use key_cache::KeyCache;
use rate_limit::{RateLimit, RateLimiter};
use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Request limits (api.md §5).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest body on every route but bulk.
    pub body_bytes: usize,
    /// Largest body on `POST /v1/contacts`.
    pub bulk_body_bytes: usize,
    /// Time limit of one request.
    pub request_timeout: Duration,
    /// Requests in flight at once; more are refused with 503.
    pub max_concurrent_requests: usize,
    /// Requests per API key (off by default).
    pub rate_limit: RateLimit,
    /// How long a client may take to send a request's headers before the connection closes.
    pub header_read_timeout: Duration,
    /// Connections one client address may hold open; 0 is no cap (the default).
    pub max_connections_per_address: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 64 * 1024,
            bulk_body_bytes: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            max_concurrent_requests: 512,
            rate_limit: RateLimit::default(),
            header_read_timeout: Duration::from_secs(10),
            max_connections_per_address: 0,
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: SharedStore,
    /// Recently seen API keys.
    pub keys: Arc<KeyCache>,
    /// Request limits.
    pub limits: Limits,
    /// Per-key request budgets, when rate limiting is on.
    pub rate_limiter: Option<Arc<RateLimiter>>,
    /// Request counts and latencies for `/metrics`.
    pub metrics: metrics::Metrics,
    /// Workspaces known to exist (they are never deleted, so a hit stays true).
    known_workspaces: Arc<RwLock<HashSet<WorkspaceId>>>,
}

impl AppState {
    /// State over `store`, caching keys for `key_cache_ttl`.
    pub fn new(store: SharedStore, limits: Limits, key_cache_ttl: Duration) -> AppState {
        AppState {
            store,
            keys: Arc::new(KeyCache::new(key_cache_ttl)),
            limits,
            metrics: metrics::Metrics::new(),
            rate_limiter: limits
                .rate_limit
                .is_on()
                .then(|| Arc::new(RateLimiter::new(limits.rate_limit))),
            known_workspaces: Arc::default(),
        }
    }

    /// Whether a workspace exists, asking the store only the first time.
    pub async fn workspace_exists(&self, id: &WorkspaceId) -> Result<bool, ApiError> {
        if self
            .known_workspaces
            .read()
            .is_ok_and(|known| known.contains(id))
        {
            return Ok(true);
        }
        let exists = self.store.workspace_exists(id).await?;
        if exists {
            if let Ok(mut known) = self.known_workspaces.write() {
                known.insert(id.clone());
            }
        }
        Ok(exists)
    }
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "There is no such endpoint; see /v1/openapi.json.",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not accept this method.",
    )
}

/// The whole application: routes, fallbacks, and around them (outermost first) request
/// ids and the time limit, the cap on requests in flight, authentication, rate limiting.
pub fn router(state: AppState) -> Router {
    let timeout = state.limits.request_timeout;
    let permits = Arc::new(Semaphore::new(state.limits.max_concurrent_requests));
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(metrics::metrics))
        .route("/v1/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(reference_page::reference_page))
        .route(
            "/u/{token}",
            get(unsubscribe::show).post(unsubscribe::unsubscribe),
        )
        .route("/u/{token}/resubscribe", post(unsubscribe::resubscribe))
        .route(
            "/v1/contacts",
            get(contacts::list_contacts)
                .post(bulk::upsert_contacts)
                .delete(contacts::delete_contacts),
        )
        .route("/v1/events", get(events::list_events))
        .route(
            "/v1/contacts/{id}",
            get(contacts::get_contact)
                .put(contacts::put_contact)
                .delete(contacts::delete_contact),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotent,
        ))
        // A refused (rate-limited) request never reaches the idempotency store.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit_rate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(axum::middleware::from_fn(move |req, next| {
            overload::shed_load(Arc::clone(&permits), req, next)
        }))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::record,
        ))
        .layer(axum::middleware::from_fn(move |req, next| {
            middleware::observe(timeout, req, next)
        }))
        .with_state(state)
}
