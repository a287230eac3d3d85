//! The operator's dashboard at `/admin` (docs/dashboard.md): server-rendered HTML (maud),
//! one stylesheet embedded in the binary, no script. A person signs in with an API key
//! (`login`) into a server-side session (`session`); every form carries the session's CSRF
//! token (`form`); every answer carries strict security headers (`response`). Pages act
//! through the same domain planners and stores as the API, with the signed-in key as
//! `Actor::Dashboard` in the feed, and a read-only key gets a read-only dashboard that the
//! server enforces too.
//!
//! One file per page: `workspaces` (the list, create), `overview` (counts, the `chart`,
//! rename), `contacts` (search, add), `contact` and `contact_actions` (one contact: edit,
//! unsubscribe, resubscribe, delete, history), `imports` (upload, dry run, progress, bad
//! rows), `export` (the download), `suppressions` (list, add, lift), `webhooks` and `webhook` (add; test, deliveries, replay,
//! switch on and off), `keys` (create, revoke); beside them `layout` (the frame of every
//! page), `contact_form`, `form` (reading a posted form), `login_limit`, `assets` and `rollup` (the chart's counts
//! brought up to date).

pub mod assets;
pub mod chart;
pub mod contact;
pub mod contact_actions;
pub mod contact_consent;
pub mod contact_form;
pub mod contacts;
pub mod contacts_query;
pub mod export;
pub mod form;
pub mod imports;
pub mod keys;
pub mod layout;
pub mod login;
pub mod login_limit;
pub mod overview;
pub mod response;
pub mod rollup;
pub mod session;
pub mod suppressions;
pub mod webhook;
pub mod webhooks;
pub mod workspaces;

use crate::domain::session::SessionLifetime;
use crate::http::AppState;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use login_limit::LoginLimiter;
use std::sync::Arc;

/// Dashboard settings, read once at start.
#[derive(Debug, Clone, Copy, Default)]
pub struct DashboardSettings {
    /// How long sessions live.
    pub lifetime: SessionLifetime,
    /// Whether the session cookie is `Secure` (the public URL is https).
    pub secure_cookie: bool,
}

/// What the dashboard's handlers share: its settings and the sign-in attempt counts.
#[derive(Clone, Default)]
pub struct Dashboard {
    /// Settings.
    pub settings: DashboardSettings,
    /// Failed sign-ins per client address.
    pub login_limiter: Arc<LoginLimiter>,
    /// Workspaces whose chart counts are being caught up in the background.
    pub counting: Arc<rollup::Counting>,
}

impl Dashboard {
    /// The dashboard with `settings`.
    pub fn new(settings: DashboardSettings) -> Dashboard {
        Dashboard {
            settings,
            login_limiter: Arc::default(),
            counting: Arc::default(),
        }
    }
}

/// Every dashboard route, one line each, with the security headers on every answer.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(workspaces::home))
        .route("/admin/login", get(login::show).post(login::sign_in))
        .route("/admin/logout", post(login::sign_out))
        .route("/admin/assets/{name}", get(assets::serve))
        .route("/admin/workspaces", post(workspaces::create))
        .route("/admin/w/{workspace}", get(overview::overview))
        .route("/admin/w/{workspace}/rename", post(overview::rename))
        .route("/admin/w/{workspace}/export/{file}", get(export::download))
        .route(
            "/admin/w/{workspace}/contacts",
            get(contacts::list).post(contacts::create),
        )
        .route(
            "/admin/w/{workspace}/contacts/{id}",
            get(contact::show).post(contact_actions::edit),
        )
        .route(
            "/admin/w/{workspace}/contacts/{id}/unsubscribe",
            post(contact_actions::unsubscribe),
        )
        .route(
            "/admin/w/{workspace}/contacts/{id}/resubscribe",
            post(contact_actions::resubscribe),
        )
        .route(
            "/admin/w/{workspace}/contacts/{id}/delete",
            get(contact::confirm_delete).post(contact_actions::delete),
        )
        .route(
            "/admin/w/{workspace}/imports",
            get(imports::show)
                .post(imports::upload)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/admin/w/{workspace}/imports/{id}", get(imports::job))
        .route(
            "/admin/w/{workspace}/suppressions",
            get(suppressions::list).post(suppressions::create),
        )
        .route(
            "/admin/w/{workspace}/suppressions/{id}/lift",
            post(suppressions::lift),
        )
        .route(
            "/admin/w/{workspace}/webhooks",
            get(webhooks::list).post(webhooks::create),
        )
        .route("/admin/w/{workspace}/webhooks/{id}", get(webhook::show))
        .route(
            "/admin/w/{workspace}/webhooks/{id}/test",
            post(webhook::send_test),
        )
        .route(
            "/admin/w/{workspace}/webhooks/{id}/replay",
            post(webhook::replay),
        )
        .route(
            "/admin/w/{workspace}/webhooks/{id}/enabled",
            post(webhook::set_enabled),
        )
        .route("/admin/keys", get(keys::list).post(keys::create))
        .route("/admin/keys/{id}/revoke", post(keys::revoke))
        .route(
            "/admin/{*rest}",
            get(response::not_found).post(response::not_found),
        )
        .layer(axum::middleware::map_response(
            response::with_security_headers,
        ))
}
