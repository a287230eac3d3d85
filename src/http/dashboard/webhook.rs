//! One webhook endpoint's page: its deliveries with their status, and (for a key that may
//! write) sending a test, replaying the feed after an event, switching delivery off and on;
//! each through the same store calls as `/v1/webhooks/{id}/…`.

use super::form;
use super::layout::{Frame, Section, csrf_field, notice, page, when};
use super::response::{error_page, html_page, not_found_page, see_other};
use super::session::SignedIn;
use super::webhooks::state_text;
use crate::domain::ids::{WebhookId, random_body};
use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::{WebhookEndpoint, WebhookPatch};
use crate::domain::workspace::Workspace;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::store::{DeliveryRecord, OneOff};
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::html;

/// Deliveries shown on an endpoint's page.
const DELIVERIES_SHOWN: u32 = 50;

/// The endpoint a path names, in the workspace it names, if the key may see it.
async fn find(
    state: &AppState,
    signed_in: &SignedIn,
    workspace: &str,
    id: &str,
) -> Result<(Workspace, WebhookEndpoint), Response> {
    let workspace = signed_in.workspace(state, workspace).await?;
    let id = WebhookId::parse(id).ok_or_else(not_found_page)?;
    let endpoint = state
        .store
        .get_webhook(&id)
        .await
        .map_err(|e| error_page(&ApiError::from(e)))?
        .filter(|e| e.workspace_id == workspace.id)
        .ok_or_else(not_found_page)?;
    Ok((workspace, endpoint))
}

fn delivery_status(d: &DeliveryRecord) -> String {
    match (d.status_code, &d.error) {
        (Some(code), None) if (200..300).contains(&code) => format!("{code} delivered"),
        (Some(code), _) => format!("{code} refused"),
        (None, Some(error)) => format!("failed: {error}"),
        (None, None) => "no answer".to_owned(),
    }
}

fn done_message(query: Option<&str>) -> Option<&'static str> {
    match form::FormFields::parse(query.unwrap_or("").as_bytes()).get("done") {
        Some("test") => Some("A test message is on its way; reload to see its delivery."),
        Some("replay") => Some("The events after that one will be sent again, in order."),
        Some("on") => Some("Delivery is switched on."),
        Some("off") => Some("Delivery is switched off; events wait for it."),
        _ => None,
    }
}

/// `GET /admin/w/{workspace}/webhooks/{id}`: one endpoint and its deliveries.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((workspace, id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let (workspace, endpoint) = match find(&state, &signed_in, &workspace, &id).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let deliveries = match state
        .store
        .list_deliveries(&endpoint.id, 0, DELIVERIES_SHOWN)
        .await
    {
        Ok(deliveries) => deliveries,
        Err(e) => return error_page(&ApiError::from(e)),
    };
    let base = format!("/admin/w/{}/webhooks/{}", workspace.id, endpoint.id);
    let done = done_message(query.as_deref());
    html_page(
        StatusCode::OK,
        page(
            "Webhook endpoint",
            Frame::of(&signed_in, Section::Webhooks).in_workspace(&workspace),
            html! {
                p { a href={"/admin/w/" (workspace.id.as_str()) "/webhooks"} { "← All endpoints" } }
                h1 { "Endpoint" }
                (notice(done))
                div.card {
                    dl.fields {
                        dt { "URL" } dd { code { (endpoint.url) } }
                        dt { "State" } dd { (state_text(&endpoint)) }
                        dt { "Description" } dd { (endpoint.description) }
                        dt { "Events" } dd { "every change" }
                        dt { "Delivered up to event" } dd { (endpoint.cursor) }
                        dt { "Id" } dd { code { (endpoint.id.as_str()) } }
                        dt { "Added" } dd { (when(endpoint.created_at)) }
                    }
                }
                @if signed_in.may_write() {
                    div.actions {
                        form method="post" action={(base) "/test"} {
                            (csrf_field(&signed_in))
                            button.secondary type="submit" { "Send a test" }
                        }
                        form method="post" action={(base) "/enabled"} {
                            (csrf_field(&signed_in))
                            @if endpoint.enabled {
                                input type="hidden" name="enabled" value="no";
                                button.secondary type="submit" { "Switch off" }
                            } @else {
                                input type="hidden" name="enabled" value="yes";
                                button.secondary type="submit" { "Switch on" }
                            }
                        }
                    }
                    h2 { "Replay" }
                    div.card {
                        form.inline method="post" action={(base) "/replay"} {
                            (csrf_field(&signed_in))
                            div.field {
                                label for="after" { "Send again every event after event number" }
                                input id="after" type="text" name="after" inputmode="numeric" value="0";
                            }
                            div { button type="submit" { "Replay" } }
                        }
                    }
                }
                h2 { "Deliveries" }
                @if deliveries.is_empty() {
                    p.muted { "Nothing was sent yet." }
                } @else {
                    div.table-wrap {
                        table {
                            caption.muted { "The newest deliveries first" }
                            thead { tr {
                                th scope="col" { "When" }
                                th scope="col" { "Message" }
                                th scope="col" { "Attempt" }
                                th scope="col" { "Status" }
                                th scope="col" { "Took" }
                            } }
                            tbody {
                                @for d in &deliveries {
                                    tr {
                                        td data-label="When" { (when(d.created_at)) }
                                        td data-label="Message" { span { (d.event_type) @if let Some(seq) = d.event_seq { " #" (seq) } } }
                                        td data-label="Attempt" { (d.attempt) }
                                        td data-label="Status" { (delivery_status(d)) }
                                        td data-label="Took" { (d.duration_ms) " ms" }
                                    }
                                }
                            }
                        }
                    }
                }
            },
        ),
    )
}

/// The posted form of a key that may write, and the endpoint it is about.
async fn writable(
    state: &AppState,
    signed_in: &SignedIn,
    (workspace, id): (&str, &str),
    headers: &HeaderMap,
    body: Body,
) -> Result<(form::FormFields, Workspace, WebhookEndpoint), Response> {
    let found = find(state, signed_in, workspace, id);
    form::write_about(state, signed_in, headers, body, found).await
}

fn back(workspace: &Workspace, endpoint: &WebhookEndpoint, done: &str) -> Response {
    see_other(&format!(
        "/admin/w/{}/webhooks/{}?done={done}",
        workspace.id, endpoint.id
    ))
}

/// `POST …/test`: queues a `webhook.test` message.
pub async fn send_test(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((workspace, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (_, workspace, endpoint) =
        match writable(&state, &signed_in, (&workspace, &id), &headers, body).await {
            Ok(found) => found,
            Err(page) => return page,
        };
    let one_off = OneOff {
        id: 0,
        event_seq: None,
        message_id: format!("msg_{}", random_body(21)),
        created_at: Timestamp::now(),
    };
    match state.store.queue_one_off(&endpoint.id, one_off).await {
        Ok(()) => back(&workspace, &endpoint, "test"),
        Err(e) => error_page(&ApiError::from(e)),
    }
}

/// `POST …/replay`: sends every event after the one given again, in order.
pub async fn replay(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((workspace, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (fields, workspace, endpoint) =
        match writable(&state, &signed_in, (&workspace, &id), &headers, body).await {
            Ok(found) => found,
            Err(page) => return page,
        };
    let Ok(after) = fields.text("after").trim().parse::<i64>().map(|n| n.max(0)) else {
        return super::response::message_page(
            StatusCode::UNPROCESSABLE_ENTITY,
            Frame::of(&signed_in, Section::Webhooks).in_workspace(&workspace),
            "Replay",
            "The event number must be a whole number, 0 or more.",
        );
    };
    match state.store.replay_webhook_after(&endpoint.id, after).await {
        Ok(_) => back(&workspace, &endpoint, "replay"),
        Err(e) => error_page(&ApiError::from(e)),
    }
}

/// `POST …/enabled`: switches delivery on (`enabled=yes`, resuming where it stopped) or off.
pub async fn set_enabled(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((workspace, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (fields, workspace, endpoint) =
        match writable(&state, &signed_in, (&workspace, &id), &headers, body).await {
            Ok(found) => found,
            Err(page) => return page,
        };
    let enabled = fields.text("enabled") == "yes";
    let patch = WebhookPatch {
        enabled: Some(enabled),
        ..WebhookPatch::default()
    };
    match state
        .store
        .update_webhook(&endpoint.id, patch, Timestamp::now())
        .await
    {
        Ok(Some(_)) => back(&workspace, &endpoint, if enabled { "on" } else { "off" }),
        Ok(None) => not_found_page(),
        Err(e) => error_page(&ApiError::from(e)),
    }
}
