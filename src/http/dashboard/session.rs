//! Who is signed in: the session cookie (HttpOnly, SameSite=Strict, `Secure` behind https,
//! only ever the random secret, whose hash alone is stored), read on every request into a
//! [`SignedIn`], which holds the API key as it is now. A session ends when it has been idle
//! or alive too long, or when its key is revoked (checked on every request, not cached).

use super::response::{error_page, not_found_page, see_other};
use crate::domain::api_key::{ApiKey, WorkspaceGrant};
use crate::domain::events::Actor;
use crate::domain::session::{SessionHash, SessionSecret};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::http::AppState;
use crate::http::client_evidence::ClientEvidence;
use crate::http::error::ApiError;
use crate::http::middleware::auth::Caller;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "purrlist_session";

/// A signed-in dashboard request.
pub struct SignedIn {
    secret: SessionSecret,
    /// The key the session signed in with, as stored now (never revoked here).
    pub key: ApiKey,
    /// Where the request came from, kept in its writes' evidence as an API request's is.
    client: ClientEvidence,
}

impl SignedIn {
    /// The session's hash, as stored.
    pub fn hash(&self) -> SessionHash {
        self.secret.hash()
    }

    /// The token every form of this session carries.
    pub fn csrf_token(&self) -> String {
        self.secret.csrf_token()
    }

    /// Whether `given` is this session's CSRF token.
    pub fn csrf_matches(&self, given: &str) -> bool {
        self.secret.csrf_matches(given)
    }

    /// The same access rules as an API request with the key.
    pub fn caller(&self) -> Caller {
        Caller {
            key: self.key.clone(),
        }
    }

    /// Who the feed names for this session's changes.
    pub fn actor(&self) -> Actor {
        Actor::Dashboard(self.key.id.clone())
    }

    /// The origin of this session's writes: its actor, with the source `dashboard` and the
    /// client's address, user agent and request id (the API's `ClientEvidence`, honouring
    /// `PURRLIST_TRUSTED_PROXIES`).
    pub fn origin(&self) -> crate::domain::evidence::Origin {
        crate::domain::evidence::Origin::new(self.actor(), self.client.evidence("dashboard"))
    }

    /// Whether the key may change anything.
    pub fn may_write(&self) -> bool {
        !self.key.read_only
    }

    /// Whether the key may create workspaces and keys: a read-write key for every workspace
    /// (a key for some workspaces could otherwise mint one for all).
    pub fn may_manage_keys(&self) -> bool {
        self.may_write() && self.key.grant == WorkspaceGrant::All
    }

    /// The workspace a path names, if the key may use it; else the not-found page (which
    /// says nothing of whether it exists).
    pub async fn workspace(&self, state: &AppState, raw: &str) -> Result<Workspace, Response> {
        let id = match self.caller().workspace(state, Some(raw)).await {
            Ok(id) => id,
            Err(e) if e.status().is_server_error() => return Err(error_page(&e)),
            Err(_) => return Err(not_found_page()),
        };
        let all = state
            .store
            .list_workspaces()
            .await
            .map_err(|e| error_page(&ApiError::from(e)))?;
        all.into_iter()
            .find(|w| w.id == id)
            .ok_or_else(not_found_page)
    }
}

/// The session secret a request's cookies carry, if any is well formed.
pub fn session_secret(headers: &HeaderMap) -> Option<SessionSecret> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .and_then(|(_, value)| SessionSecret::parse(value.trim()))
}

/// `Set-Cookie` for a new session that lives at most `max_age_seconds`.
pub fn session_cookie(secret: &SessionSecret, max_age_seconds: u64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!(
        "{COOKIE_NAME}={}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{secure}",
        secret.expose()
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| clearing_cookie())
}

/// `Set-Cookie` that removes the session cookie.
pub fn clearing_cookie() -> HeaderValue {
    HeaderValue::from_static("purrlist_session=; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// To the sign-in page, forgetting the cookie.
fn to_sign_in() -> Response {
    let mut response = see_other("/admin/login");
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clearing_cookie());
    response
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(secret) = session_secret(&parts.headers) else {
            return Err(see_other("/admin/login"));
        };
        let hash = secret.hash();
        let found = state
            .store
            .find_session(hash)
            .await
            .map_err(|e| error_page(&ApiError::from(e)))?;
        let Some(found) = found else {
            return Err(to_sign_in());
        };
        let now = Timestamp::now();
        let lifetime = state.dashboard.settings.lifetime;
        if found.key.revoked_at.is_some() || !found.times.alive(now, lifetime) {
            if let Err(e) = state.store.delete_session(hash).await {
                tracing::debug!(error = %e, "cannot delete an ended session; it stays refused");
            }
            return Err(to_sign_in());
        }
        if found.times.needs_touch(now)
            && let Err(e) = state.store.touch_session(hash, now).await
        {
            tracing::debug!(error = %e, "cannot record a session's use; will retry");
        }
        tracing::Span::current().record("key_id", found.key.id.as_str());
        Ok(SignedIn {
            secret,
            key: found.key,
            client: ClientEvidence::of(parts, state),
        })
    }
}

/// `Option<SignedIn>`: `None` when no live session is there (pages that do not need one).
impl OptionalFromRequestParts<AppState> for SignedIn {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(
            <SignedIn as FromRequestParts<AppState>>::from_request_parts(parts, state)
                .await
                .ok(),
        )
    }
}
