//! A workspace's webhook endpoints: the list, and adding one (the same address checks as
//! `POST /v1/webhooks`, refusing private and loopback targets unless configured; its
//! signing secret shown once, on the answer). One endpoint's page is `webhook`.

use super::form;
use super::layout::{Frame, Section, TextField, csrf_field, page, when};
use super::response::{error_page, html_page, read_only_page};
use super::session::SignedIn;
use crate::domain::ids::WebhookId;
use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::{EndpointState, WebhookEndpoint, WebhookSecret};
use crate::domain::workspace::Workspace;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::webhooks::client::check_target;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};

struct AddForm<'a> {
    url: &'a str,
    description: &'a str,
    error: Option<&'a str>,
}

fn list_page(
    signed_in: &SignedIn,
    workspace: &Workspace,
    endpoints: &[WebhookEndpoint],
    add: &AddForm<'_>,
    created: Option<(&WebhookEndpoint, &str)>,
) -> Markup {
    let base = format!("/admin/w/{}/webhooks", workspace.id);
    page(
        "Webhooks",
        Frame::of(signed_in, Section::Webhooks).in_workspace(workspace),
        html! {
            h1 { "Webhooks" }
            p { "Each endpoint receives the workspace's changes as signed HTTP POSTs, in order, retried until accepted." }
            @if let Some((endpoint, secret)) = created {
                div.notice role="status" {
                    p { "The endpoint " code { (endpoint.url) } " was added. Copy its signing secret now: it is shown only this once." }
                    label for="new-secret" { "Signing secret" }
                    input id="new-secret" type="text" readonly value=(secret);
                    p { a href={(base) "/" (endpoint.id.as_str())} { "Open the endpoint" } }
                }
            }
            @if endpoints.is_empty() {
                p.muted { "No endpoints yet." }
            } @else {
                div.table-wrap {
                    table {
                        caption.muted { "Endpoints, oldest first" }
                        thead { tr { th scope="col" { "URL" } th scope="col" { "State" } th scope="col" { "Added" } } }
                        tbody {
                            @for e in endpoints {
                                tr {
                                    td data-label="URL" { a href={(base) "/" (e.id.as_str())} { (e.url) } }
                                    td data-label="State" { (state_text(e)) }
                                    td data-label="Added" { (when(e.created_at)) }
                                }
                            }
                        }
                    }
                }
            }
            @if signed_in.may_write() {
                h2 { "Add an endpoint" }
                div.card {
                    form.stack method="post" action=(base) {
                        (csrf_field(signed_in))
                        (TextField { name: "url", label: "URL", kind: "url", value: add.url,
                            hint: Some("An https:// address that answers 2xx."), error: add.error, required: true }.render())
                        (TextField { name: "description", label: "Description", kind: "text", value: add.description,
                            hint: None, error: None, required: false }.render())
                        div { button type="submit" { "Add endpoint" } }
                    }
                }
            }
        },
    )
}

pub(super) fn state_text(e: &WebhookEndpoint) -> &'static str {
    match (e.enabled, e.state) {
        (false, EndpointState::Failing) => "stopped: retries spent",
        (false, _) => "switched off",
        (true, EndpointState::Failing) => "retrying",
        (true, _) => "active",
    }
}

async fn endpoints(
    state: &AppState,
    workspace: &Workspace,
) -> Result<Vec<WebhookEndpoint>, Response> {
    state
        .store
        .list_webhooks(&workspace.id)
        .await
        .map_err(|e| error_page(&ApiError::from(e)))
}

/// `GET /admin/w/{workspace}/webhooks`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(workspace): Path<String>,
) -> Response {
    let workspace = match signed_in.workspace(&state, &workspace).await {
        Ok(workspace) => workspace,
        Err(page) => return page,
    };
    let endpoints = match endpoints(&state, &workspace).await {
        Ok(endpoints) => endpoints,
        Err(page) => return page,
    };
    let add = AddForm {
        url: "",
        description: "",
        error: None,
    };
    html_page(
        StatusCode::OK,
        list_page(&signed_in, &workspace, &endpoints, &add, None),
    )
}

/// `POST /admin/w/{workspace}/webhooks`: adds an endpoint for every event type.
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(workspace): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let fields = match form::read(&state, &signed_in, &headers, body).await {
        Ok(fields) => fields,
        Err(page) => return page,
    };
    let workspace = match signed_in.workspace(&state, &workspace).await {
        Ok(workspace) => workspace,
        Err(page) => return page,
    };
    if !signed_in.may_write() {
        return read_only_page();
    }
    let (url, description) = (fields.text("url").trim(), fields.text("description").trim());
    let checked = if description.chars().count() > 500 {
        Err("A description is at most 500 characters.".to_owned())
    } else {
        check_target(url, state.webhooks.settings.allow_private).await
    };
    let url = match checked {
        Ok(url) => url,
        Err(message) => {
            let endpoints = match endpoints(&state, &workspace).await {
                Ok(endpoints) => endpoints,
                Err(page) => return page,
            };
            let add = AddForm {
                url,
                description,
                error: Some(&message),
            };
            return html_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                list_page(&signed_in, &workspace, &endpoints, &add, None),
            );
        }
    };
    let now = Timestamp::now();
    let secret = WebhookSecret::generate();
    let endpoint = WebhookEndpoint {
        id: WebhookId::generate(),
        workspace_id: workspace.id.clone(),
        url,
        event_types: None,
        description: description.to_owned(),
        enabled: true,
        state: EndpointState::Active,
        secret: secret.clone(),
        previous_secret: None,
        created_at: now,
        updated_at: now,
        cursor: 0,
        attempt: 0,
        next_attempt_at: Timestamp::from_millis(0),
    };
    let stored = match state.store.create_webhook(endpoint).await {
        Ok(stored) => stored,
        Err(e) => return error_page(&ApiError::from(e)),
    };
    let endpoints = match endpoints(&state, &workspace).await {
        Ok(endpoints) => endpoints,
        Err(page) => return page,
    };
    let add = AddForm {
        url: "",
        description: "",
        error: None,
    };
    html_page(
        StatusCode::OK,
        list_page(
            &signed_in,
            &workspace,
            &endpoints,
            &add,
            Some((&stored, secret.expose())),
        ),
    )
}
