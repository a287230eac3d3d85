//! The HTTP surface: thin handlers that extract, call domain and store, map errors.
//! Its rooms: `api` (the JSON API), `pages` (public pages for people), `forms` (the public
//! sign-up form), `dashboard` (the operator's pages at `/admin`), `middleware` (what wraps
//! every request), `openapi` (the document and the reference page); beside them
//! `request_body` (how every body is read) and `server` (the accept loop); here, the router
//! and the state every handler shares.

pub mod api;
pub mod client_evidence;
pub mod connection_idle;
pub mod dashboard;
pub mod error;
pub mod forms;
pub mod middleware;
pub mod openapi;
pub mod pages;
pub mod request_body;
pub mod server;

use crate::domain::ids::WorkspaceId;
use crate::import_jobs::ImportJobs;
use crate::store::ServerStore;
use axum::Router;
use axum::http::{Extensions, HeaderMap, StatusCode, Version, header};
use axum::routing::{delete, get, patch, post};
use error::{ApiError, ErrorCode};
use middleware::key_cache::KeyCache;
use middleware::rate_limit::{RateLimit, RateLimiter};
use std::collections::HashSet;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};

/// Request limits (api.md §5).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest body on every route but bulk.
    pub body_bytes: usize,
    /// Largest body on `POST /v1/contacts`.
    pub bulk_body_bytes: usize,
    /// Time limit of one request.
    pub request_timeout: Duration,
    /// Time limit for receiving a request's body, within the request's time limit.
    pub body_read_timeout: Duration,
    /// Requests in flight at once; more are refused with 503.
    pub max_concurrent_requests: usize,
    /// Requests in flight at once on the public routes that need no key (unsubscribe
    /// pages, docs), counted apart so they cannot take the API's places.
    pub max_concurrent_public_requests: usize,
    /// Requests per API key (off by default).
    pub rate_limit: RateLimit,
    /// How long a connection may go without a request in flight (before its first
    /// request's headers are in, while a next one's are coming, or idle between requests;
    /// HTTP/1.1 and HTTP/2 alike) before it is closed.
    pub header_read_timeout: Duration,
    /// Connections one client address may hold open; 0 is no cap (the default).
    pub max_connections_per_address: usize,
    /// Largest body of `POST /v1/imports` (spooled to disk, never held in memory).
    pub import_body_bytes: usize,
    /// Time for an import body to arrive; that request's time limit is this plus
    /// `request_timeout`.
    pub import_body_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 64 * 1024,
            bulk_body_bytes: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(10),
            max_concurrent_requests: 512,
            max_concurrent_public_requests: 64,
            rate_limit: RateLimit::default(),
            header_read_timeout: Duration::from_secs(10),
            max_connections_per_address: 0,
            import_body_bytes: 64 * 1024 * 1024,
            import_body_read_timeout: Duration::from_secs(300),
        }
    }
}

/// What every handler shares: one handle on [`Shared`], so that the clone every layer
/// and extractor takes per request is one reference count, not one per field (cloning
/// the fields was ~11% of the server's CPU under S1, bench/README.md log 24).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl From<Shared> for AppState {
    fn from(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

/// The server's state, set up once before it serves ([`AppState`] shares it).
pub struct Shared {
    /// The database, through the capabilities the server uses.
    pub store: Arc<dyn ServerStore>,
    /// Recently seen API keys.
    pub keys: Arc<KeyCache>,
    /// Request limits.
    pub limits: Limits,
    /// Per-key request budgets, when rate limiting is on.
    pub rate_limiter: Option<Arc<RateLimiter>>,
    /// Request counts and latencies for `/metrics`.
    pub metrics: middleware::metrics::Metrics,
    /// The import jobs of `POST /v1/imports`.
    pub imports: ImportJobs,
    /// Webhook settings and counters, shared with the deliverer.
    pub webhooks: crate::webhooks::Webhooks,
    /// Double opt-in and sign-up form settings (set by `app::Application::build`).
    pub opt_in: crate::double_opt_in::OptIn,
    /// The dashboard's settings and sign-in limits.
    pub dashboard: dashboard::Dashboard,
    /// Workspaces known to exist (they are never deleted, so a hit stays true).
    known_workspaces: Arc<RwLock<HashSet<WorkspaceId>>>,
    /// Proxies whose `X-Forwarded-For` names the client (`PURRLIST_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<crate::domain::evidence_proxies::TrustedProxies>,
    /// Inbound bounce and complaint webhooks (Postmark, SES through SNS).
    pub inbound: crate::inbound::InboundSettings,
}

impl Shared {
    /// State over `store` with its import jobs, caching keys for `key_cache_ttl`.
    pub fn new(
        store: Arc<dyn ServerStore>,
        imports: ImportJobs,
        limits: Limits,
        key_cache_ttl: Duration,
    ) -> Shared {
        Shared {
            store,
            imports,
            keys: Arc::new(KeyCache::new(key_cache_ttl)),
            limits,
            metrics: middleware::metrics::Metrics::new(),
            rate_limiter: limits
                .rate_limit
                .is_on()
                .then(|| Arc::new(RateLimiter::new(limits.rate_limit))),
            webhooks: crate::webhooks::Webhooks::default(),
            opt_in: crate::double_opt_in::OptIn::default(),
            dashboard: dashboard::Dashboard::default(),
            known_workspaces: Arc::default(),
            trusted_proxies: Arc::default(),
            inbound: crate::inbound::InboundSettings::default(),
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
        if exists && let Ok(mut known) = self.known_workspaces.write() {
            known.insert(id.clone());
        }
        Ok(exists)
    }
}

async fn not_found() -> ApiError {
    ErrorCode::NotFound.into()
}

async fn method_not_allowed() -> ApiError {
    ErrorCode::MethodNotAllowed.into()
}

/// Compresses answers for clients that send `Accept-Encoding` (gzip or br, at the fastest
/// level), except small ones, where it saves nothing (a single contact, the hot PUT path),
/// and ones with an `ETag`, which names the uncompressed bytes.
fn compression() -> CompressionLayer<impl Predicate> {
    let no_etag = |_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions| {
        !headers.contains_key(header::ETAG)
    };
    CompressionLayer::new()
        .quality(CompressionLevel::Fastest)
        .compress_when(
            DefaultPredicate::new()
                .and(SizeAbove::new(1024))
                .and(no_etag),
        )
}

/// The whole application: routes, fallbacks, and around them (outermost first) response
/// compression, request ids and the time limit, metrics, refusal of malformed requests,
/// the caps on requests in flight, authentication, rate limiting, idempotency.
pub fn router(state: AppState) -> Router {
    let limits = state.limits;
    let budgets = middleware::overload::Budgets::new(
        state.limits.max_concurrent_requests,
        state.limits.max_concurrent_public_requests,
    );
    Router::new()
        .route("/healthz", get(api::health::healthz))
        .route("/readyz", get(api::health::readyz))
        .route("/metrics", get(middleware::metrics::metrics))
        .route("/v1/openapi.json", get(openapi::openapi_json))
        .route("/docs", get(openapi::reference_page::reference_page))
        .route(
            "/u/{token}",
            get(pages::unsubscribe::show).post(pages::unsubscribe::unsubscribe),
        )
        .route(
            "/u/{token}/resubscribe",
            post(pages::unsubscribe::resubscribe),
        )
        .route(
            "/v1/contacts",
            get(api::contact_list::list_contacts)
                .post(api::bulk::upsert_contacts)
                .delete(api::contacts::delete_contacts),
        )
        // A static segment: `export` is never taken for a contact id (`con_…`).
        .route(
            "/v1/contacts/export",
            get(api::contacts_export::export_contacts),
        )
        .route("/v1/events", get(api::events::list_events))
        .route(
            "/v1/imports",
            get(api::imports::list_imports).post(api::imports::create_import),
        )
        .route("/v1/imports/{id}", get(api::imports::get_import))
        .route(
            "/v1/webhooks",
            get(api::webhooks::list_webhooks).post(api::webhooks::create_webhook),
        )
        .route(
            "/v1/webhooks/{id}",
            get(api::webhooks::get_webhook)
                .patch(api::webhooks::patch_webhook)
                .delete(api::webhooks::delete_webhook),
        )
        .route(
            "/v1/webhooks/{id}/rotate-secret",
            post(api::webhook_actions::rotate_secret),
        )
        .route(
            "/v1/webhooks/{id}/deliveries",
            get(api::webhook_actions::list_deliveries),
        )
        .route(
            "/v1/webhooks/{id}/replay",
            post(api::webhook_actions::replay),
        )
        .route(
            "/v1/webhooks/{id}/test",
            post(api::webhook_actions::send_test),
        )
        .route(
            "/v1/workspaces/{id}",
            patch(api::workspaces::rename_workspace),
        )
        .route(
            "/v1/contacts/{id}",
            get(api::contacts::get_contact)
                .put(api::contacts::put_contact)
                .delete(api::contacts::delete_contact),
        )
        .route(
            "/v1/privacy/export",
            post(api::privacy_export::privacy_export),
        )
        .route(
            "/v1/inbound-secrets",
            post(api::inbound_secrets::create_inbound_secret),
        )
        .route(
            "/inbound/postmark/{workspace}/{secret}",
            post(api::inbound::postmark_webhook),
        )
        .route(
            "/inbound/ses/{workspace}/{secret}",
            post(api::inbound::ses_webhook),
        )
        .route("/v1/contacts/{id}/consent", get(api::consent::get_consent))
        .route(
            "/v1/suppressions",
            get(api::suppressions::list_suppressions).post(api::suppressions::create_suppression),
        )
        .route(
            "/v1/suppressions/{id}",
            axum::routing::delete(api::suppressions::delete_suppression),
        )
        .route("/v1/privacy/erase", post(api::privacy::erase))
        .route(
            "/c/{token}",
            get(pages::confirm::show).post(pages::confirm::confirm),
        )
        .route(
            "/f/{key}",
            post(forms::signup::sign_up_form).options(forms::signup::preflight),
        )
        .route(
            "/v1/form-keys",
            get(api::form_keys::list_form_keys).post(api::form_keys::create_form_key),
        )
        .route(
            "/v1/form-keys/{id}",
            delete(api::form_keys::revoke_form_key),
        )
        .merge(dashboard::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(
            middleware::position::track_position,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::idempotency::idempotent,
        ))
        // A refused (rate-limited) request never reaches the idempotency store.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::rate_limit::limit_rate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::auth::authenticate,
        ))
        .layer(axum::middleware::from_fn(move |req, next| {
            middleware::overload::shed_load(budgets.clone(), req, next)
        }))
        .layer(axum::middleware::from_fn(
            middleware::protocol::require_well_formed,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            middleware::metrics::record,
        ))
        .layer(axum::middleware::from_fn(move |req, next| {
            middleware::observe::observe(limits, req, next)
        }))
        .layer(compression())
        .with_state(state)
}
