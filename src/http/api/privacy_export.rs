//! `POST /v1/privacy/export`: everything kept about one address of a workspace, for an
//! access request (api.md §8; docs/consent.md#answering-an-access-request). The same JSON
//! is what `purrlist privacy export` prints ([`export_address`]).

use super::body::JsonObject;
use super::contact_json::ContactBody;
use super::events::EventBody;
use crate::domain::email::EmailAddress;
use crate::domain::events::StoredEvent;
use crate::domain::evidence_history::held_address;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::patch_input::FieldError;
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::api::suppressions::SuppressionBody;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::auth::Caller;
use crate::store::{ContactQuery, EventQuery, ServerStore, StoreError};
use axum::Json;
use axum::extract::{Extension, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Events read per page while gathering a history.
const PAGE: u32 = 1000;

/// The body of `POST /v1/privacy/export`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body in OpenAPI
pub struct PrivacyExportRequest {
    /// The workspace; may be left out when the key grants exactly one.
    #[schema(example = "wks_Tj4fTx-GWT0kCkKc375tG")]
    newsletter_id: Option<String>,
    /// The address asked about (any case; compared in its normal form).
    #[schema(example = "noto@example.com")]
    email: String,
}

/// Everything kept about one address.
#[derive(Debug, Serialize, ToSchema)]
pub struct PrivacyExport {
    /// The workspace.
    #[schema(example = "wks_Tj4fTx-GWT0kCkKc375tG")]
    pub newsletter_id: String,
    /// The address, in its normal form.
    #[schema(example = "noto@example.com")]
    pub email: String,
    /// When this answer was made.
    #[schema(value_type = String, format = DateTime, example = "2024-05-01T10:00:00.000Z")]
    pub exported_at: Timestamp,
    /// The contact holding the address now, or null.
    pub contact: Option<ContactBody>,
    /// Every contact id that held the address (now, or in its kept history: deleted
    /// contacts, changed emails), oldest first.
    #[schema(example = json!(["con_D6zCfeVDaAAT-b9dl9SIE"]))]
    pub contact_ids: Vec<String>,
    /// The whole kept history of those contacts, in feed order, each event with its
    /// evidence (source, IP, user agent, request id, forwarded consent).
    pub history: Vec<EventBody>,
    /// The address's suppression (as `GET /v1/suppressions` lists it), or null.
    pub suppression: Option<SuppressionBody>,
}

/// Every kept event of `contact`, oldest first.
async fn history_of(
    store: &dyn ServerStore,
    workspace: &WorkspaceId,
    contact: &ContactId,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut events = Vec::new();
    let mut after = 0;
    loop {
        let page = store
            .list_events(EventQuery {
                workspace: workspace.clone(),
                after,
                limit: PAGE,
                contact: Some(contact.clone()),
            })
            .await?;
        let full = page.len() as u32 == PAGE;
        after = page.last().map_or(after, |e| e.seq);
        events.extend(page);
        if !full {
            return Ok(events);
        }
    }
}

/// Gathers what the workspace keeps about `email`: the contact that holds it now, and
/// the histories of every contact that ever held it.
pub async fn export_address(
    store: &dyn ServerStore,
    workspace: &WorkspaceId,
    email: &EmailAddress,
) -> Result<PrivacyExport, StoreError> {
    let normal = email.normalized();
    let current = store
        .list_contacts(ContactQuery {
            workspace: workspace.clone(),
            email: Some(normal.to_owned()),
            subscribed: None,
            limit: 1,
            after: None,
            offset: 0,
        })
        .await?
        .contacts
        .into_iter()
        .next();
    // Oldest history first; the current holder last if its history was pruned.
    let mut candidates = store.contacts_mentioning(workspace, normal).await?;
    if let Some(holder) = &current
        && !candidates.contains(&holder.id)
    {
        candidates.push(holder.id.clone());
    }
    let mut contact_ids = Vec::new();
    let mut history: Vec<StoredEvent> = Vec::new();
    for id in candidates {
        let events = history_of(store, workspace, &id).await?;
        let is_current = current.as_ref().is_some_and(|c| c.id == id);
        if is_current || held_address(&events, normal) {
            contact_ids.push(id.as_str().to_owned());
            history.extend(events);
        }
    }
    history.sort_by_key(|e| e.seq);
    Ok(PrivacyExport {
        newsletter_id: workspace.to_string(),
        email: normal.to_owned(),
        exported_at: Timestamp::now(),
        contact: current.map(ContactBody::from),
        contact_ids,
        history: history.into_iter().map(EventBody::from).collect(),
        suppression: store
            .suppression_of(workspace, normal)
            .await?
            .map(SuppressionBody::from),
    })
}

/// Everything kept about one address.
#[utoipa::path(
    post, path = "/v1/privacy/export", tag = "privacy",
    request_body(content = PrivacyExportRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The contact (or null) and the whole kept history of every contact that held the address, with its evidence. Read-only keys may ask.", body = PrivacyExport),
        (status = 400, description = "`email` missing or not an address; `newsletter_id` missing with a key for several workspaces.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "A workspace the key may not use.", body = ErrorBody),
        (status = 413, description = "Body over the limit.", body = ErrorBody),
        (status = 415, description = "Body is not `application/json`.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn privacy_export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonObject(body): JsonObject,
) -> Result<Json<PrivacyExport>, ApiError> {
    let newsletter_id = match body.get("newsletter_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(ApiError::no_access()),
    };
    let workspace = caller.workspace(&state, newsletter_id).await?;
    let email = match body.get("email") {
        None | Some(Value::Null) => return Err(FieldError::missing("email").into()),
        Some(Value::String(s)) => EmailAddress::parse(s).map_err(|_| {
            FieldError::new(
                "email",
                crate::domain::patch_input::FieldErrorKind::InvalidEmail,
                "`email` must be a valid email address.",
            )
        })?,
        Some(_) => {
            return Err(FieldError::new(
                "email",
                crate::domain::patch_input::FieldErrorKind::InvalidEmail,
                "`email` must be a string holding an email address.",
            )
            .into());
        }
    };
    Ok(Json(
        export_address(&*state.store, &workspace, &email).await?,
    ))
}
