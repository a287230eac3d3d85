//! API keys: the list (never a secret), creating one (for every workspace or one, read-only
//! or not; its secret shown once, on the answer to the form, and never again), and
//! revoking one. Only a read-write key for every workspace may see this page: a key for some
//! workspaces could otherwise mint itself a wider one.

use super::form;
use super::layout::{Frame, Section, TextField, csrf_field, notice, page, when};
use super::response::{error_page, html_page, not_found_page, read_only_page, see_other};
use super::session::{SignedIn, clearing_cookie};
use crate::app::create_key;
use crate::domain::api_key::{ApiKey, WorkspaceGrant};
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::http::AppState;
use crate::http::error::ApiError;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use maud::{Markup, html};

/// Longest key name.
const MAX_KEY_NAME_CHARS: usize = 100;

/// What the create form holds.
#[derive(Default)]
struct KeyDraft {
    name: String,
    workspace: String,
    read_only: bool,
}

struct KeysView<'a> {
    keys: &'a [ApiKey],
    workspaces: &'a [Workspace],
    draft: KeyDraft,
    error: Option<String>,
    created: Option<(ApiKey, String)>,
    done: Option<&'static str>,
}

fn grant_text(key: &ApiKey, workspaces: &[Workspace]) -> String {
    match &key.grant {
        WorkspaceGrant::All => "every workspace".to_owned(),
        WorkspaceGrant::Listed(list) => list
            .iter()
            .map(|id| {
                workspaces
                    .iter()
                    .find(|w| &w.id == id)
                    .map_or_else(|| id.to_string(), |w| w.name.clone())
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn keys_page(signed_in: &SignedIn, view: &KeysView<'_>) -> Markup {
    page(
        "API keys",
        Frame::of(signed_in, Section::Keys),
        html! {
            h1 { "API keys" }
            (notice(view.done))
            @if let Some((key, secret)) = &view.created {
                div.notice role="status" {
                    p { "The key " strong { (key.name) } " was created. Copy its secret now: it is shown only this once." }
                    label for="new-secret" { "Secret" }
                    input id="new-secret" type="text" readonly value=(secret);
                }
            }
            div.table-wrap {
                table {
                    caption.muted { "Every API key, oldest first" }
                    thead { tr {
                        th scope="col" { "Name" }
                        th scope="col" { "Access" }
                        th scope="col" { "Created" }
                        th scope="col" { "State" }
                    } }
                    tbody {
                        @for key in view.keys {
                            tr {
                                td data-label="Name" { div { (key.name) br; code { (key.id.as_str()) } } }
                                td data-label="Access" {
                                    (grant_text(key, view.workspaces))
                                    @if key.read_only { ", read-only" } @else { ", read-write" }
                                }
                                td data-label="Created" { (when(key.created_at)) }
                                td data-label="State" { div {
                                    @if let Some(at) = key.revoked_at {
                                        "Revoked " (when(at))
                                    } @else {
                                        form method="post" action={"/admin/keys/" (key.id.as_str()) "/revoke"} {
                                            (csrf_field(signed_in))
                                            button.danger type="submit" aria-label={"Revoke key " (key.name)} { "Revoke" }
                                        }
                                        @if key.id == signed_in.key.id { p.hint { "The key you signed in with." } }
                                    }
                                } }
                            }
                        }
                    }
                }
            }
            h2 { "New key" }
            div.card {
                form.stack method="post" action="/admin/keys" {
                    (csrf_field(signed_in))
                    (TextField { name: "name", label: "Name", kind: "text", value: &view.draft.name,
                        hint: Some("What the key is for, such as \"signup form\"."),
                        error: view.error.as_deref(), required: true }.render())
                    div.field {
                        label for="workspace" { "Workspaces" }
                        select id="workspace" name="workspace" {
                            option value="all" selected[view.draft.workspace == "all"] { "Every workspace" }
                            @for w in view.workspaces {
                                option value=(w.id.as_str()) selected[view.draft.workspace == w.id.as_str()] { "Only " (w.name) }
                            }
                        }
                    }
                    label.check {
                        input type="checkbox" name="read_only" value="yes" checked[view.draft.read_only];
                        "Read-only (may read, never change)"
                    }
                    div { button type="submit" { "Create key" } }
                }
            }
        },
    )
}

async fn load(state: &AppState) -> Result<(Vec<ApiKey>, Vec<Workspace>), Response> {
    let keys = state
        .store
        .list_api_keys()
        .await
        .map_err(|e| error_page(&ApiError::from(e)))?;
    let workspaces = state
        .store
        .list_workspaces()
        .await
        .map_err(|e| error_page(&ApiError::from(e)))?;
    Ok((keys, workspaces))
}

fn done_message(query: Option<&str>) -> Option<&'static str> {
    match form::FormFields::parse(query.unwrap_or("").as_bytes()).get("done") {
        Some("revoked") => Some("The key was revoked. Its sessions have ended."),
        _ => None,
    }
}

/// `GET /admin/keys`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    if !signed_in.may_manage_keys() {
        return not_found_page();
    }
    let (keys, workspaces) = match load(&state).await {
        Ok(loaded) => loaded,
        Err(page) => return page,
    };
    let view = KeysView {
        keys: &keys,
        workspaces: &workspaces,
        draft: KeyDraft {
            workspace: "all".to_owned(),
            ..KeyDraft::default()
        },
        error: None,
        created: None,
        done: done_message(query.as_deref()),
    };
    html_page(StatusCode::OK, keys_page(&signed_in, &view))
}

fn parse_name(given: &str) -> Result<String, String> {
    let name = given.trim();
    if name.is_empty() || given.chars().count() > MAX_KEY_NAME_CHARS {
        return Err(format!(
            "A key name must be 1 to {MAX_KEY_NAME_CHARS} characters and not blank."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("A key name may not contain control characters.".to_owned());
    }
    Ok(name.to_owned())
}

/// `POST /admin/keys`: creates a key and shows its secret once (this answer is never
/// cached, and reloading it does not show the secret again: the form would post anew).
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
    let draft = KeyDraft {
        name: fields.text("name").to_owned(),
        workspace: fields.text("workspace").to_owned(),
        read_only: fields.text("read_only") == "yes",
    };
    let grant = match draft.workspace.as_str() {
        "all" => Some(WorkspaceGrant::All),
        id => WorkspaceId::parse(id).map(|id| WorkspaceGrant::Listed(vec![id])),
    };
    let (keys, workspaces) = match load(&state).await {
        Ok(loaded) => loaded,
        Err(page) => return page,
    };
    let checked = parse_name(&draft.name).and_then(|name| {
        grant
            .filter(|g| match g {
                WorkspaceGrant::All => true,
                WorkspaceGrant::Listed(list) => {
                    list.iter().all(|id| workspaces.iter().any(|w| &w.id == id))
                }
            })
            .map(|grant| (name, grant))
            .ok_or_else(|| "Choose every workspace or one of the list.".to_owned())
    });
    let (name, grant) = match checked {
        Ok(checked) => checked,
        Err(message) => {
            let view = KeysView {
                keys: &keys,
                workspaces: &workspaces,
                draft,
                error: Some(message),
                created: None,
                done: None,
            };
            return html_page(
                StatusCode::UNPROCESSABLE_ENTITY,
                keys_page(&signed_in, &view),
            );
        }
    };
    let (key, secret) = match create_key(&*state.store, name, grant, draft.read_only).await {
        Ok(created) => created,
        Err(e) => return error_page(&ApiError::from(e)),
    };
    let (keys, workspaces) = match load(&state).await {
        Ok(loaded) => loaded,
        Err(page) => return page,
    };
    let view = KeysView {
        keys: &keys,
        workspaces: &workspaces,
        draft: KeyDraft {
            workspace: "all".to_owned(),
            ..KeyDraft::default()
        },
        error: None,
        created: Some((key, secret.expose().to_owned())),
        done: None,
    };
    html_page(StatusCode::OK, keys_page(&signed_in, &view))
}

/// `POST /admin/keys/{id}/revoke`: revokes a key; every session signed in with it ends at
/// its next request (the one doing this, too, if it is its own key).
pub async fn revoke(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Err(page) = form::read(&state, &signed_in, &headers, body).await {
        return page;
    }
    if !signed_in.may_manage_keys() {
        return read_only_page();
    }
    let Some(id) = ApiKeyId::parse(&id) else {
        return not_found_page();
    };
    match state.store.revoke_api_key(&id, Timestamp::now()).await {
        Ok(true) if id == signed_in.key.id => {
            let mut response = see_other("/admin/login");
            response
                .headers_mut()
                .insert(header::SET_COOKIE, clearing_cookie());
            response
        }
        Ok(true) => see_other("/admin/keys?done=revoked"),
        Ok(false) => not_found_page(),
        Err(e) => error_page(&ApiError::from(e)),
    }
}
