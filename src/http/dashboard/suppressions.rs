//! A workspace's suppressions (api.md §8): the addresses that must not be mailed, newest
//! first, 50 a page; suppressing an address by hand; lifting a suppression. Both actions
//! are the store calls `POST /v1/suppressions` and `DELETE /v1/suppressions/{id}` make,
//! with the same rules: a `manual` suppression lifts freely, a `bounced` or `complained`
//! one only when the operator ticks that the address works again (the override), an
//! `erased` one never.

use super::form;
use super::layout::{Frame, Section, TextField, csrf_field, notice, page, when};
use super::response::{error_page, html_page, not_found_page, see_other};
use super::session::SignedIn;
use crate::domain::email::EmailAddress;
use crate::domain::suppression::{Suppressed, Suppression, SuppressionReason};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::store::{LiftOutcome, SuppressionPage};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};

/// Suppressions on one page.
const PAGE_SIZE: u32 = 50;

/// What the page shows besides the list.
#[derive(Default)]
struct Shown<'a> {
    done: Option<&'static str>,
    email: &'a str,
    error: Option<String>,
    page: u64,
}

fn done_message(fields: &form::FormFields) -> Option<&'static str> {
    match fields.text("done") {
        "suppressed" => Some("The address was suppressed."),
        "lifted" => Some("The suppression was lifted. The contact stays unsubscribed."),
        _ => None,
    }
}

async fn load(
    state: &AppState,
    workspace: &Workspace,
    page: u64,
) -> Result<SuppressionPage, Response> {
    state
        .store
        .list_suppressions(&workspace.id, PAGE_SIZE, page * u64::from(PAGE_SIZE))
        .await
        .map_err(|e| error_page(&ApiError::from(e)))
}

fn lift_form(signed_in: &SignedIn, base: &str, s: &Suppression) -> Markup {
    html! {
        @if s.reason == SuppressionReason::Erased {
            span.muted { "Erased on request: never lifted here" }
        } @else {
            form.stack method="post" action={(base) "/" (s.id) "/lift"} {
                (csrf_field(signed_in))
                @if s.reason.lift_needs_override() {
                    label.check {
                        input type="checkbox" name="override_suppression" value="yes" required;
                        "The address works and wants mail again"
                    }
                }
                div { button.secondary type="submit" { "Lift" } }
            }
        }
    }
}

fn suppressions_page(
    signed_in: &SignedIn,
    workspace: &Workspace,
    found: &SuppressionPage,
    shown: &Shown<'_>,
) -> Markup {
    let base = format!("/admin/w/{}/suppressions", workspace.id);
    let shown_to = shown.page * u64::from(PAGE_SIZE) + found.suppressions.len() as u64;
    page(
        "Suppressions",
        Frame::of(signed_in, Section::Suppressions).in_workspace(workspace),
        html! {
            h1 { "Suppressions" }
            (notice(shown.done))
            p { "Addresses that must not be mailed: their contacts are unsubscribed and cannot be subscribed again without the override. " (found.total) " in all." }
            @if found.suppressions.is_empty() {
                p { "No address is suppressed." }
            } @else {
                div.table-wrap {
                    table {
                        caption.muted { "Suppressions, newest first" }
                        thead { tr {
                            th scope="col" { "Address" }
                            th scope="col" { "Reason" }
                            th scope="col" { "Since" }
                            th scope="col" { "By" }
                            @if signed_in.may_write() { th scope="col" { "Lift" } }
                        } }
                        tbody {
                            @for s in &found.suppressions {
                                tr {
                                    td data-label="Address" { (s.email.as_deref().unwrap_or("(erased)")) }
                                    td data-label="Reason" { (s.reason.as_str()) }
                                    td data-label="Since" { (when(s.at)) }
                                    td data-label="By" { (s.actor.stored_kind().into_owned()) }
                                    @if signed_in.may_write() { td data-label="Lift" { (lift_form(signed_in, &base, s)) } }
                                }
                            }
                        }
                    }
                }
            }
            nav.pager aria-label="Pages" {
                @if shown.page > 0 { a href={(base) "?page=" (shown.page - 1)} rel="prev" { "Previous page" } }
                @if shown_to < found.total { a href={(base) "?page=" (shown.page + 1)} rel="next" { "Next page" } }
            }
            @if signed_in.may_write() {
                h2 id="add" { "Suppress an address" }
                div.card {
                    form.stack method="post" action=(base) {
                        (csrf_field(signed_in))
                        (TextField { name: "email", label: "Email", kind: "email", value: shown.email,
                            hint: Some("Its contact, if any, is unsubscribed; the reason is manual."),
                            error: shown.error.as_deref(), required: true }.render())
                        div { button type="submit" { "Suppress address" } }
                    }
                }
            }
        },
    )
}

/// `GET /admin/w/{workspace}/suppressions`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(workspace): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let workspace = match signed_in.workspace(&state, &workspace).await {
        Ok(workspace) => workspace,
        Err(page) => return page,
    };
    let fields = form::FormFields::parse(raw.as_deref().unwrap_or("").as_bytes());
    let shown = Shown {
        done: done_message(&fields),
        page: fields.text("page").parse().unwrap_or(0).min(1_000_000),
        ..Shown::default()
    };
    match load(&state, &workspace, shown.page).await {
        Ok(found) => html_page(
            StatusCode::OK,
            suppressions_page(&signed_in, &workspace, &found, &shown),
        ),
        Err(page) => page,
    }
}

/// `POST /admin/w/{workspace}/suppressions`: suppresses an address by hand (the store
/// call of `POST /v1/suppressions`, reason `manual`).
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(workspace): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (fields, workspace) =
        match form::write_in_workspace(&state, &signed_in, &workspace, &headers, body).await {
            Ok(found) => found,
            Err(page) => return page,
        };
    let given = fields.text("email").trim();
    let email = match EmailAddress::parse(given) {
        Ok(email) => email,
        Err(_) => {
            let shown = Shown {
                email: given,
                error: Some("Enter an email address, like name@example.com.".to_owned()),
                ..Shown::default()
            };
            return match load(&state, &workspace, 0).await {
                Ok(found) => html_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    suppressions_page(&signed_in, &workspace, &found, &shown),
                ),
                Err(page) => page,
            };
        }
    };
    let outcome = state
        .store
        .suppress_address(
            &workspace.id,
            &email,
            SuppressionReason::Manual,
            signed_in.origin(),
            Timestamp::now(),
        )
        .await;
    match outcome {
        Ok(_) => see_other(&format!(
            "/admin/w/{}/suppressions?done=suppressed",
            workspace.id
        )),
        Err(e) => error_page(&ApiError::from(e)),
    }
}

/// `POST /admin/w/{workspace}/suppressions/{id}/lift`: lifts it (the store call of
/// `DELETE /v1/suppressions/{id}`, limited to this workspace).
pub async fn lift(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((workspace, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (fields, workspace) =
        match form::write_in_workspace(&state, &signed_in, &workspace, &headers, body).await {
            Ok(found) => found,
            Err(page) => return page,
        };
    if !crate::domain::suppression::is_suppression_id(&id) {
        return not_found_page();
    }
    let outcome = state
        .store
        .lift_suppression(
            &id,
            Some(std::slice::from_ref(&workspace.id)),
            fields.text("override_suppression") == "yes",
            signed_in.origin(),
            Timestamp::now(),
        )
        .await;
    match outcome {
        Ok(LiftOutcome::Lifted(_)) => see_other(&format!(
            "/admin/w/{}/suppressions?done=lifted",
            workspace.id
        )),
        Ok(LiftOutcome::NotFound) => not_found_page(),
        Ok(LiftOutcome::Refused(reason)) => {
            let text = if reason == SuppressionReason::Erased {
                "An erased address stays suppressed.".to_owned()
            } else {
                format!(
                    "{} Tick that the address works and wants mail again to lift it.",
                    Suppressed(reason).message()
                )
            };
            super::response::message_page(
                StatusCode::CONFLICT,
                Frame::of(&signed_in, Section::Suppressions).in_workspace(&workspace),
                "Not lifted",
                &text,
            )
        }
        Err(e) => error_page(&ApiError::from(e)),
    }
}
