//! The workspace list: the workspaces a key may use, and creating one (for a read-write key
//! for every workspace). A workspace's own page is `overview`.

use super::form;
use super::layout::{Frame, Section, TextField, csrf_field, page, when};
use super::response::{error_page, html_page, read_only_page, see_other};
use super::session::SignedIn;
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::{Workspace, parse_workspace_name};
use crate::http::AppState;
use crate::http::error::ApiError;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use maud::{Markup, html};

fn home_page(
    signed_in: &SignedIn,
    workspaces: &[Workspace],
    name: &str,
    error: Option<&str>,
) -> Markup {
    page(
        "Workspaces",
        Frame::of(signed_in, Section::Workspaces),
        html! {
            h1 { "Workspaces" }
            @if workspaces.is_empty() {
                p { "This API key may not use any workspace." }
            } @else {
                div.table-wrap {
                    table {
                        caption.muted { "The workspaces your API key may use" }
                        thead { tr { th scope="col" { "Name" } th scope="col" { "Id" } th scope="col" { "Created" } } }
                        tbody {
                            @for w in workspaces {
                                tr {
                                    td data-label="Name" { a href={"/admin/w/" (w.id.as_str())} { (w.name) } }
                                    td data-label="Id" { code { (w.id.as_str()) } }
                                    td data-label="Created" { (when(w.created_at)) }
                                }
                            }
                        }
                    }
                }
            }
            @if signed_in.may_manage_keys() {
                h2 { "New workspace" }
                div.card {
                    form.stack method="post" action="/admin/workspaces" {
                        (csrf_field(signed_in))
                        (TextField { name: "name", label: "Name", kind: "text", value: name,
                            hint: Some("The name subscribers see on the unsubscribe page."),
                            error, required: true }.render())
                        div { button type="submit" { "Create workspace" } }
                    }
                }
            }
        },
    )
}

async fn visible_workspaces(
    state: &AppState,
    signed_in: &SignedIn,
) -> Result<Vec<Workspace>, Response> {
    let all = state
        .store
        .list_workspaces()
        .await
        .map_err(|e| error_page(&ApiError::from(e)))?;
    Ok(all
        .into_iter()
        .filter(|w| signed_in.key.grants(&w.id))
        .collect())
}

/// `GET /admin`: the workspaces of the signed-in key.
pub async fn home(State(state): State<AppState>, signed_in: SignedIn) -> Response {
    match visible_workspaces(&state, &signed_in).await {
        Ok(workspaces) => html_page(StatusCode::OK, home_page(&signed_in, &workspaces, "", None)),
        Err(page) => page,
    }
}

/// `POST /admin/workspaces`: makes a workspace (a read-write key for every workspace only).
pub async fn create(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let fields = match form::read(&state, &signed_in, &headers, body).await {
        Ok(fields) => fields,
        Err(page) => return page,
    };
    if !signed_in.may_manage_keys() {
        return read_only_page();
    }
    let given = fields.text("name");
    let name = match parse_workspace_name(given) {
        Ok(name) => name,
        Err(message) => {
            return match visible_workspaces(&state, &signed_in).await {
                Ok(workspaces) => html_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    home_page(&signed_in, &workspaces, given, Some(&message)),
                ),
                Err(page) => page,
            };
        }
    };
    match state.store.create_workspace(name, Timestamp::now()).await {
        Ok(workspace) => see_other(&format!("/admin/w/{}?done=created", workspace.id)),
        Err(e) => error_page(&ApiError::from(e)),
    }
}
