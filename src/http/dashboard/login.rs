//! Signing in with an API key and out again. The key travels only in a POST body (a
//! password field), is looked up by its hash straight from the store (no cache, so a
//! revoked key is refused at once), and is never logged; a new session secret is made at
//! every sign-in (no session fixation). Wrong keys are limited per address (`login_limit`).

use super::form::{self, FormFields};
use super::layout::{Frame, page};
use super::response::{error_page, html_page, message_page, see_other};
use super::session::{SignedIn, clearing_cookie, session_cookie, session_secret};
use crate::domain::api_key::ApiKeySecret;
use crate::domain::session::{SessionSecret, SessionTimes};
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::error::ApiError;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use maud::{Markup, html};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

fn sign_in_form(error: Option<&str>) -> Markup {
    page(
        "Sign in",
        Frame::bare(),
        html! {
            div.login {
                h1 { "Sign in to purrlist" }
                div.card {
                    form.stack method="post" action="/admin/login" {
                        div.field {
                            label for="key" { "API key" }
                            input id="key" type="password" name="key" required autocomplete="off"
                                spellcheck="false" aria-invalid=[error.map(|_| "true")]
                                aria-describedby=(if error.is_some() { "key-error key-hint" } else { "key-hint" });
                            p.hint id="key-hint" { "A key from " code { "purrlist key create" } " or from the first start. A read-only key gives a read-only dashboard." }
                            @if let Some(error) = error {
                                p.error id="key-error" { (error) }
                            }
                        }
                        div { button type="submit" { "Sign in" } }
                    }
                }
            }
        },
    )
}

/// `GET /admin/login`: the sign-in form (or the dashboard, when already signed in).
pub async fn show(signed_in: Option<SignedIn>) -> Response {
    if signed_in.is_some() {
        return see_other("/admin");
    }
    html_page(StatusCode::OK, sign_in_form(None))
}

/// The client's address, as the accept loop recorded it; the unspecified address when
/// there is none (a router served without it).
fn client_address(req: &Request) -> IpAddr {
    req.extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| {
            addr.ip()
        })
}

fn too_many_attempts(seconds: u64) -> Response {
    let mut response = message_page(
        StatusCode::TOO_MANY_REQUESTS,
        Frame::bare(),
        "Too many sign-in attempts",
        "Too many wrong API keys came from your address. Wait a few minutes, then try again.",
    );
    if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// `POST /admin/login`: a valid, unrevoked key begins a session; anything else is the form
/// again with the reason next to the field (401), counted against the address.
pub async fn sign_in(State(state): State<AppState>, req: Request) -> Response {
    let address = client_address(&req);
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    let limiter = &state.dashboard.login_limiter;
    if let Some(wait) = limiter.wait_for(address) {
        return too_many_attempts(wait.as_secs());
    }
    let fields: FormFields = match form::read_fields(&state, &headers, body).await {
        Ok(fields) => fields,
        Err(page) => return page,
    };
    let key = match ApiKeySecret::parse(fields.text("key").trim()) {
        Some(secret) => match state.store.find_api_key(secret.hash()).await {
            Ok(key) => key.filter(|key| key.revoked_at.is_none()),
            Err(e) => return error_page(&ApiError::from(e)),
        },
        None => None,
    };
    let Some(key) = key else {
        limiter.failed(address);
        return html_page(
            StatusCode::UNAUTHORIZED,
            sign_in_form(Some("This API key is not valid or has been revoked.")),
        );
    };
    limiter.succeeded(address);
    if let Some(old) = session_secret(&headers)
        && let Err(e) = state.store.delete_session(old.hash()).await
    {
        tracing::debug!(error = %e, "cannot end the session signed in over");
    }
    let secret = SessionSecret::generate();
    if let Err(e) = state
        .store
        .create_session(secret.hash(), &key.id, Timestamp::now())
        .await
    {
        return error_page(&ApiError::from(e));
    }
    let settings = state.dashboard.settings;
    // Sessions nobody presents again (closed browsers) are removed here, at each sign-in.
    let (idle_before, begun_before) = SessionTimes::cutoffs(Timestamp::now(), settings.lifetime);
    if let Err(e) = state.store.prune_sessions(idle_before, begun_before).await {
        tracing::debug!(error = %e, "cannot prune ended sessions; will retry at the next sign-in");
    }
    let cookie = session_cookie(
        &secret,
        settings.lifetime.absolute.as_secs(),
        settings.secure_cookie,
    );
    let mut response = see_other("/admin");
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// `POST /admin/logout`: ends the session.
pub async fn sign_out(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(page) = form::read(&state, &signed_in, &headers, body).await {
        return page;
    }
    if let Err(e) = state.store.delete_session(signed_in.hash()).await {
        return error_page(&ApiError::from(e));
    }
    let mut response = see_other("/admin/login");
    response
        .headers_mut()
        .insert(header::SET_COOKIE, clearing_cookie());
    response
}
