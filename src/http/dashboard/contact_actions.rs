//! What a contact's page does: save the edit form, unsubscribe, resubscribe, delete. Each
//! is the API's single-contact write (`ContactStore`, `domain::target`, the edit form read
//! by `domain::patch_input` as a PUT body), recorded with the signed-in key as
//! `Actor::Dashboard`.

use super::contact::{ContactView, contact_page, find};
use super::contact_consent::consent_record;
use super::contact_form::{ContactDraft, FormError};
use super::form;
use super::response::{error_page, html_page, see_other};
use super::session::SignedIn;
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::patch_input::{EmailRule, parse_contact_patch};
use crate::domain::target::{Precondition, Target};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::http::AppState;
use crate::http::error::ApiError;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

/// The posted form of a signed-in key that may write, and the contact it is about.
async fn writable(
    state: &AppState,
    signed_in: &SignedIn,
    (workspace, id): (&str, &str),
    headers: &HeaderMap,
    body: Body,
) -> Result<(form::FormFields, Workspace, Contact), Response> {
    let found = find(state, signed_in, workspace, id);
    form::write_about(state, signed_in, headers, body, found).await
}

/// `POST /admin/w/{workspace}/contacts/{id}`: saves the edit form; an error is shown next
/// to its field (422) and nothing is written.
pub async fn edit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((workspace, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (fields, workspace, contact) =
        match writable(&state, &signed_in, (&workspace, &id), &headers, body).await {
            Ok(found) => found,
            Err(page) => return page,
        };
    let draft = ContactDraft::posted(&fields);
    let precondition = match fields.text("version").parse::<i64>() {
        Ok(version) => Precondition::Versions(vec![version]),
        Err(_) => Precondition::None,
    };
    let written = save(&state, &signed_in, &contact, &draft, precondition).await;
    match written {
        Ok(_) => see_other(&format!(
            "/admin/w/{}/contacts/{}?done=saved",
            workspace.id, contact.id
        )),
        Err(e) => match FormError::of(&e) {
            Some(error) => {
                let consent = match consent_record(&state, &contact).await {
                    Ok(consent) => consent,
                    Err(page) => return page,
                };
                let view = ContactView {
                    workspace: &workspace,
                    contact: &contact,
                    consent: &consent,
                    draft,
                    error: Some(error),
                    done: None,
                };
                html_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    contact_page(&signed_in, &view),
                )
            }
            None => error_page(&e),
        },
    }
}

/// Writes the edit form through the API's parser and single-contact write.
async fn save(
    state: &AppState,
    signed_in: &SignedIn,
    contact: &Contact,
    draft: &ContactDraft,
    precondition: Precondition,
) -> Result<(), ApiError> {
    let patch = parse_contact_patch(&draft.to_write(Some(contact)), EmailRule::Required)?;
    let target = Target {
        id: contact.id.clone(),
        grant: signed_in.key.grant.clone(),
        precondition,
    };
    state
        .store
        .update_contact(target, patch, Timestamp::now(), signed_in.origin())
        .await?;
    Ok(())
}

async fn set_subscribed(
    state: AppState,
    signed_in: SignedIn,
    (workspace, id): (String, String),
    headers: HeaderMap,
    body: Body,
    subscribed: bool,
) -> Response {
    let (_, workspace, contact) =
        match writable(&state, &signed_in, (&workspace, &id), &headers, body).await {
            Ok(found) => found,
            Err(page) => return page,
        };
    let target = Target {
        id: contact.id.clone(),
        grant: signed_in.key.grant.clone(),
        precondition: Precondition::None,
    };
    let patch = ContactPatch {
        subscribed: Some(subscribed),
        ..ContactPatch::default()
    };
    match state
        .store
        .update_contact(target, patch, Timestamp::now(), signed_in.origin())
        .await
    {
        Ok(_) => see_other(&format!(
            "/admin/w/{}/contacts/{}?done={}",
            workspace.id,
            contact.id,
            if subscribed {
                "resubscribed"
            } else {
                "unsubscribed"
            }
        )),
        Err(e) => error_page(&ApiError::from(e)),
    }
}

/// `POST …/unsubscribe`.
pub async fn unsubscribe(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(path): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    set_subscribed(state, signed_in, path, headers, body, false).await
}

/// `POST …/resubscribe`.
pub async fn resubscribe(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(path): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    set_subscribed(state, signed_in, path, headers, body, true).await
}

/// `POST …/delete`: deletes the contact.
pub async fn delete(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((workspace, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let (_, workspace, contact) =
        match writable(&state, &signed_in, (&workspace, &id), &headers, body).await {
            Ok(found) => found,
            Err(page) => return page,
        };
    let target = Target {
        id: contact.id.clone(),
        grant: signed_in.key.grant.clone(),
        precondition: Precondition::None,
    };
    match state
        .store
        .delete_contact(target, Timestamp::now(), signed_in.origin())
        .await
    {
        Ok(_) => see_other(&format!("/admin/w/{}/contacts?done=deleted", workspace.id)),
        Err(e) => error_page(&ApiError::from(e)),
    }
}
