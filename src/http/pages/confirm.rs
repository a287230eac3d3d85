//! The public confirmation link of double opt-in (`/c/{token}`): no API key, the token is
//! the capability. GET only shows a page with a button (mail scanners follow links and
//! must not confirm anyone); POST confirms. An unknown token and an expired one get the
//! same page, so a link reveals nothing about whether it ever existed.

use super::html::{FormButton, render};
use super::response::{error_page, page};
use crate::domain::confirmation::ConfirmationToken;
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::forms::evidence::evidence;
use crate::store::{ConfirmOutcome, ConfirmationTarget};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::Response;

/// The one answer for a token that is unknown, malformed or expired.
fn not_found_page() -> Response {
    page(
        StatusCode::NOT_FOUND,
        render(
            "Link not valid",
            "This link is not valid",
            &[
                "This confirmation link is incomplete, was already used up, or has expired. \
                 Sign up again to get a new one."
                    .to_owned(),
            ],
            None,
            None,
        ),
    )
}

fn ask_page(target: &ConfirmationTarget) -> Response {
    let name = &target.workspace_name;
    let action = target.pending.token.as_str();
    page(
        StatusCode::OK,
        render(
            &format!("Confirm your subscription to {name}"),
            &format!("Confirm your subscription to {name}"),
            &[format!(
                "Someone, hopefully you, asked to receive {name} at {}. Press the button to \
                 confirm.",
                target.contact.email.as_str()
            )],
            Some(FormButton {
                action,
                label: "Confirm subscription",
                secondary: false,
            }),
            Some(
                "Nothing happens until you press the button. If you did not ask, ignore this page.",
            ),
        ),
    )
}

fn subscribed_page(target: &ConfirmationTarget, heading: &str) -> Response {
    let name = &target.workspace_name;
    page(
        StatusCode::OK,
        render(
            &format!("Subscribed to {name}"),
            heading,
            &[format!(
                "You will receive {name} at {}.",
                target.contact.email.as_str()
            )],
            None,
            Some("Every email has a link to unsubscribe whenever you like."),
        ),
    )
}

/// `GET /c/{token}`: the page with the button; changes nothing.
#[utoipa::path(
    get, path = "/c/{token}", tag = "confirmation", operation_id = "show_confirmation",
    params(("token" = String, Path, description = "The token of a confirmation link (21 characters), from the `contact.confirmation_requested` event.")),
    responses(
        (status = 200, description = "An HTML page naming the newsletter and the address with a Confirm button. Changes nothing: mail scanners follow links.", content_type = "text/html"),
        (status = 404, description = "The same HTML page for every unknown, malformed or expired token.", content_type = "text/html"),
    )
)]
pub async fn show(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let Some(token) = ConfirmationToken::parse(&token) else {
        return not_found_page();
    };
    match state
        .store
        .find_confirmation(&token, Timestamp::now())
        .await
    {
        Ok(Some(target)) if target.contact.subscribed => {
            subscribed_page(&target, "You are already subscribed")
        }
        Ok(Some(target)) => ask_page(&target),
        Ok(None) => not_found_page(),
        Err(e) => error_page(&ApiError::from(e)),
    }
}

/// `POST /c/{token}`: confirms (`subscribed: true`, event `contact.confirmed`).
#[utoipa::path(
    post, path = "/c/{token}", tag = "confirmation", operation_id = "confirm_subscription",
    params(("token" = String, Path, description = "The token of a confirmation link (21 characters).")),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "Empty (the page's button); the body is not read."),
    responses(
        (status = 200, description = "Confirmed (or subscribed already): an HTML page saying so.", content_type = "text/html"),
        (status = 404, description = "The same HTML page for every unknown, malformed or expired token.", content_type = "text/html"),
    )
)]
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    req: Request,
) -> Response {
    let Some(token) = ConfirmationToken::parse(&token) else {
        return not_found_page();
    };
    let evidence = evidence("confirmation_link", req.headers(), req.extensions());
    match state.store.confirm(token, evidence, Timestamp::now()).await {
        Ok(ConfirmOutcome::Confirmed(target)) => {
            let heading = format!("You are subscribed to {}", target.workspace_name);
            subscribed_page(&target, &heading)
        }
        Ok(ConfirmOutcome::AlreadySubscribed(target)) => {
            subscribed_page(&target, "You are already subscribed")
        }
        Ok(ConfirmOutcome::Unavailable) => not_found_page(),
        Err(e) => error_page(&ApiError::from(e)),
    }
}
