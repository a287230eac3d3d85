//! `GET /v1/contacts/{id}/consent` (api.md §8, extension): a contact's consent state in one
//! answer: subscribed or not, pending confirmation, the suppression of its address, and
//! the last change of it from the feed.

use super::events::ActorBody;
use super::suppressions::actor_body;
use crate::domain::ids::ContactId;
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::auth::Caller;
use axum::Json;
use axum::extract::{Extension, Path, State};
use serde::Serialize;
use utoipa::ToSchema;

/// The suppression of a contact's address.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentSuppression {
    /// Its id (as in `GET /v1/suppressions`).
    pub id: String,
    /// `bounced`, `complained`, `erased` or `manual`.
    #[schema(example = "bounced")]
    pub reason: &'static str,
    /// When it was made.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Where it came from (the actor's kind: `api_key`, `cli`, `import:<format>`, …).
    #[schema(example = "api_key")]
    pub source: String,
}

/// The last change of the contact, from the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastChange {
    /// The event's cursor in `GET /v1/events`.
    pub event_id: String,
    /// The event's type (`created`, `unsubscribed`, `suppressed`, …).
    #[schema(example = "unsubscribed")]
    pub kind: &'static str,
    /// When it was committed.
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// Who made it.
    pub actor: ActorBody,
    /// Where it came from (the actor's kind, or `import:<format>`).
    #[schema(example = "unsubscribe_link")]
    pub source: String,
}

/// A contact's consent state.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentBody {
    /// The contact.
    pub contact_id: String,
    /// Whether it receives the newsletter.
    pub subscribed: bool,
    /// Whether a double opt-in confirmation is pending (always false until double opt-in
    /// exists).
    pub pending_confirmation: bool,
    /// The suppression of its address, or `null`.
    pub suppression: Option<ConsentSuppression>,
    /// The last change from the feed, or `null` when the feed holds none (pruned).
    pub last_change: Option<LastChange>,
}

/// A contact's consent state.
#[utoipa::path(
    get, path = "/v1/contacts/{id}/consent", tag = "contacts",
    params(("id" = String, Path, description = "The contact id (`con_…`); an id of another shape is `404`.")),
    responses(
        (status = 200, description = "The consent state.", body = ConsentBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 404, description = "No such contact in a workspace the key may use.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_consent(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<ConsentBody>, ApiError> {
    let id = ContactId::parse(&id).ok_or_else(ApiError::contact_not_found)?;
    let contact = state
        .store
        .get_contact(&id, &caller.key.grant)
        .await?
        .ok_or_else(ApiError::contact_not_found)?;
    let workspace = &contact.workspace_id;
    let suppression = state
        .store
        .suppression_of(workspace, contact.email.normalized())
        .await?;
    let last = state.store.last_event_of(workspace, &contact.id).await?;
    Ok(Json(ConsentBody {
        contact_id: contact.id.as_str().to_owned(),
        subscribed: contact.subscribed,
        pending_confirmation: false,
        suppression: suppression.map(|s| ConsentSuppression {
            reason: s.reason.as_str(),
            at: s.at,
            source: s.actor.stored_kind().into_owned(),
            id: s.id,
        }),
        last_change: last.map(|e| LastChange {
            event_id: e.seq.to_string(),
            kind: e.event.kind.as_str(),
            at: e.created_at,
            actor: actor_body(&e.actor),
            source: e.actor.stored_kind().into_owned(),
        }),
    }))
}
