//! The public unsubscribe link (`/u/{unsub_token}`): no API key, the token is the
//! capability. GET only shows a page (mail scanners follow links); POST acts.

use super::AppState;
use super::error::ApiError;
use super::pages::{FormButton, render};
use crate::domain::ids::UnsubToken;
use crate::domain::timestamp::Timestamp;
use crate::store::UnsubscribeTarget;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The security headers of every page: not cached, not indexed, no referrer (the URL
/// holds the token), nothing loaded from anywhere, forms only to this server, no framing.
const PAGE_HEADERS: &[(&str, &str)] = &[
    ("cache-control", "no-store"),
    ("x-robots-tag", "noindex, nofollow"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
];

fn with_page_headers(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in PAGE_HEADERS {
        headers.insert(*name, HeaderValue::from_static(value));
    }
    response
}

fn page(status: StatusCode, html: String) -> Response {
    with_page_headers(status, "text/html; charset=utf-8", Body::from(html))
}

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
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let Some(token) = UnsubToken::parse(&token) else {
        return Ok(not_found_page());
    };
    let Some(target) = state.store.find_by_unsub_token(&token).await? else {
        return Ok(not_found_page());
    };
    let name = target.workspace_name.clone();
    Ok(if target.contact.subscribed {
        subscribed_page(&target, false, &format!("Unsubscribe from {name}?"))
    } else {
        unsubscribed_page(&target, false, "You are unsubscribed")
    })
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

async fn read_form(req: Request, limit: usize) -> Result<(HeaderMap, Bytes), Response> {
    let (parts, body) = req.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok((parts.headers, bytes)),
        Err(_) => Err(with_page_headers(
            StatusCode::PAYLOAD_TOO_LARGE,
            "text/plain; charset=utf-8",
            Body::from("The request body is too large.\n"),
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
    req: Request,
) -> Result<Response, ApiError> {
    let (headers, body) = match read_form(req, state.limits.body_bytes).await {
        Ok(read) => read,
        Err(response) => return Ok(response),
    };
    let Some(token) = UnsubToken::parse(&token) else {
        return Ok(not_found_page());
    };
    let Some(target) = state
        .store
        .set_subscribed_by_token(token, false, Timestamp::now())
        .await?
    else {
        return Ok(not_found_page());
    };
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
) -> Result<Response, ApiError> {
    let Some(token) = UnsubToken::parse(&token) else {
        return Ok(not_found_page());
    };
    let Some(target) = state
        .store
        .set_subscribed_by_token(token, true, Timestamp::now())
        .await?
    else {
        return Ok(not_found_page());
    };
    let name = target.workspace_name.clone();
    Ok(subscribed_page(
        &target,
        true,
        &format!("You are subscribed to {name} again"),
    ))
}
