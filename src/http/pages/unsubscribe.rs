//! The public unsubscribe link (`/u/{unsub_token}`): no API key, the token is the
//! capability. GET only shows a page (mail scanners follow links); POST acts.

use super::html::{FormButton, render};
use super::response::{error_page, page, with_page_headers};
use crate::domain::evidence::sources;
use crate::domain::ids::UnsubToken;
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::client_evidence::ClientEvidence;
use crate::http::error::ApiError;
use crate::http::request_body;
use crate::store::UnsubscribeTarget;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

/// The one answer for a token that is unknown or malformed: it reveals nothing.
fn not_found_page() -> Response {
    page(
        StatusCode::NOT_FOUND,
        render(
            "Link not valid",
            "This link is not valid",
            &[
                "This unsubscribe link is incomplete or no longer exists. Check that you opened \
               the whole link from the email."
                    .to_owned(),
            ],
            None,
            None,
        ),
    )
}

/// Where each form posts, relative to the page (so a path prefix in front of purrlist
/// keeps working): `nested` pages live one level below `/u/{token}`.
fn actions(token: &UnsubToken, nested: bool) -> (String, String) {
    let base = if nested { "../" } else { "" };
    (
        format!("{base}{token}"),
        format!("{base}{token}/resubscribe"),
    )
}

fn subscribed_page(target: &UnsubscribeTarget, nested: bool, heading: &str) -> Response {
    let name = &target.workspace_name;
    let (unsubscribe, _) = actions(&target.contact.unsub_token, nested);
    page(
        StatusCode::OK,
        render(
            &format!("Unsubscribe from {name}"),
            heading,
            &[format!(
                "You receive {name} at this address. Press the button to stop receiving it."
            )],
            Some(FormButton {
                action: &unsubscribe,
                label: "Unsubscribe",
                secondary: false,
            }),
            Some("Nothing changes until you press the button."),
        ),
    )
}

fn unsubscribed_page(target: &UnsubscribeTarget, nested: bool, heading: &str) -> Response {
    let name = &target.workspace_name;
    let (_, resubscribe) = actions(&target.contact.unsub_token, nested);
    page(
        StatusCode::OK,
        render(
            &format!("Unsubscribed from {name}"),
            heading,
            &[format!(
                "You will no longer receive {name} at this address."
            )],
            Some(FormButton {
                action: &resubscribe,
                label: "Resubscribe",
                secondary: true,
            }),
            Some("Unsubscribed by mistake? Press Resubscribe."),
        ),
    )
}

/// `GET /u/{unsub_token}`: the page with the button; changes nothing.
#[utoipa::path(
    get, path = "/u/{unsub_token}", tag = "unsubscribe",
    params(("unsub_token" = String, Path, description = "The contact's `unsub_token` (21 characters).")),
    responses(
        (status = 200, description = "An HTML page naming the newsletter with an Unsubscribe button (or Resubscribe, when already unsubscribed). Changes nothing: mail scanners follow links.", content_type = "text/html"),
        (status = 404, description = "The same HTML page for every unknown or malformed token.", content_type = "text/html"),
    )
)]
pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    answer(async {
        let target = find(&state, &token).await?;
        let name = target.workspace_name.clone();
        Ok(if target.contact.subscribed {
            subscribed_page(&target, false, &format!("Unsubscribe from {name}?"))
        } else {
            unsubscribed_page(&target, false, "You are unsubscribed")
        })
    })
    .await
}

/// The contact a link's token names, or the page to answer instead: the one not-found
/// page for an unknown or malformed token, an error page when the store fails.
async fn find(state: &AppState, token: &str) -> Result<UnsubscribeTarget, Response> {
    let token = UnsubToken::parse(token).ok_or_else(not_found_page)?;
    match state.store.find_by_unsub_token(&token).await {
        Ok(Some(target)) => Ok(target),
        Ok(None) => Err(not_found_page()),
        Err(e) => Err(error_page(&ApiError::from(e))),
    }
}

/// Sets the subscription of the contact a token names; the page to answer when there
/// is none (it went away meanwhile) or the store fails.
async fn set_subscribed(
    state: &AppState,
    token: UnsubToken,
    subscribed: bool,
    client: &ClientEvidence,
) -> Result<UnsubscribeTarget, Response> {
    let evidence = client.evidence(sources::UNSUBSCRIBE_LINK);
    match state
        .store
        .set_subscribed_by_token(token, subscribed, Timestamp::now(), evidence)
        .await
    {
        Ok(Some(target)) => Ok(target),
        Ok(None) => Err(not_found_page()),
        Err(e) => Err(error_page(&ApiError::from(e))),
    }
}

/// Whether a POST body is RFC 8058's `List-Unsubscribe=One-Click`, form-encoded or multipart.
fn is_one_click(headers: &HeaderMap, body: &[u8]) -> bool {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let text = String::from_utf8_lossy(body);
        return text.contains("name=\"List-Unsubscribe\"") && text.contains("One-Click");
    }
    form_urlencoded::parse(body).any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click")
}

/// The form body, read only once the token is known to exist: the route needs no key, so
/// nobody may hold it open with a slow body for a made-up token.
async fn read_form(req: Request, state: &AppState) -> Result<(HeaderMap, Bytes), Response> {
    let (parts, body) = req.into_parts();
    let limits = &state.limits;
    match request_body::read(
        &parts.headers,
        body,
        limits.body_bytes,
        limits.body_read_timeout,
    )
    .await
    {
        Ok(bytes) => Ok((parts.headers, bytes)),
        Err(e) => Err(with_page_headers(
            e.status(),
            "text/plain; charset=utf-8",
            Body::from(format!("{}\n", e.message())),
        )),
    }
}

/// `POST /u/{unsub_token}`: unsubscribes; the confirmation page, or an empty 200 for
/// a one-click (RFC 8058) POST from a mail client.
#[utoipa::path(
    post, path = "/u/{unsub_token}", tag = "unsubscribe",
    params(("unsub_token" = String, Path, description = "The contact's `unsub_token` (21 characters).")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "Empty (the page's button), or `List-Unsubscribe=One-Click` (RFC 8058, also as multipart/form-data)."),
    responses(
        (status = 200, description = "Unsubscribed: an HTML confirmation with a Resubscribe button, or an empty body for a one-click POST.", content_type = "text/html"),
        (status = 404, description = "The same HTML page for every unknown or malformed token.", content_type = "text/html"),
    )
)]
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    client: ClientEvidence,
    req: Request,
) -> Response {
    answer(async {
        let known = find(&state, &token).await?;
        let (headers, body) = read_form(req, &state).await?;
        let target = set_subscribed(&state, known.contact.unsub_token, false, &client).await?;
        if is_one_click(&headers, &body) {
            return Ok(with_page_headers(
                StatusCode::OK,
                "text/plain; charset=utf-8",
                Body::empty(),
            ));
        }
        Ok(unsubscribed_page(
            &target,
            false,
            "You have been unsubscribed",
        ))
    })
    .await
}

/// `POST /u/{unsub_token}/resubscribe`: subscribes again, for a click made by mistake.
#[utoipa::path(
    post, path = "/u/{unsub_token}/resubscribe", tag = "unsubscribe",
    params(("unsub_token" = String, Path, description = "The contact's `unsub_token` (21 characters).")),
    responses(
        (status = 200, description = "Subscribed again: an HTML page with an Unsubscribe button.", content_type = "text/html"),
        (status = 404, description = "The same HTML page for every unknown or malformed token.", content_type = "text/html"),
    )
)]
pub async fn resubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    client: ClientEvidence,
) -> Response {
    answer(async {
        let token = UnsubToken::parse(&token).ok_or_else(not_found_page)?;
        let target = set_subscribed(&state, token, true, &client).await?;
        let name = target.workspace_name.clone();
        Ok(subscribed_page(
            &target,
            true,
            &format!("You are subscribed to {name} again"),
        ))
    })
    .await
}

/// The page a handler's steps lead to, whichever step answered.
async fn answer(steps: impl Future<Output = Result<Response, Response>>) -> Response {
    steps.await.unwrap_or_else(|page| page)
}
