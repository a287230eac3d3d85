//! `/v1/privacy` (api.md §8, extension): answering a person's request about their data.
//! Erasure deletes the contact, strips the personal data from its history and keeps only
//! a salted hash of the address as an `erased` suppression (docs/consent.md, "Erasure").

use super::body::JsonObject;
use super::suppressions::{body_email, body_newsletter_id};
use crate::domain::evidence::sources;
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::client_evidence::ClientEvidence;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::auth::Caller;
use axum::Json;
use axum::extract::{Extension, State};
use serde::Serialize;
use utoipa::ToSchema;

/// `POST /v1/privacy/erase` (documentation shape; the body is read field by field).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body in OpenAPI
pub struct ErasureRequest {
    /// The workspace; may be left out when the key grants exactly one.
    newsletter_id: Option<String>,
    /// The address to erase.
    #[schema(example = "noto@example.com")]
    email: String,
}

/// What an erasure did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureBody {
    /// The workspace.
    pub newsletter_id: String,
    /// The contact deleted, or `null` when the address had none.
    pub contact_id: Option<String>,
    /// Events of the feed stripped of personal data.
    pub events_scrubbed: u64,
    /// The id of the `erased` suppression that keeps the address out (a salted hash).
    pub suppression_id: String,
}

/// Erase an address on request.
#[utoipa::path(
    post, path = "/v1/privacy/erase", tag = "privacy",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. The first answer is kept 24 h per API key and replayed with `Idempotent-Replayed: true`.")),
    request_body(content = ErasureRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Erased (also when the address had no contact: it is kept out from now on).", body = ErasureBody),
        (status = 400, description = "`email` missing or invalid.", body = ErrorBody),
        (status = 415, description = "Body is not `application/json`.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key, or a workspace the key may not use.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn erase(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    client: ClientEvidence,
    JsonObject(body): JsonObject,
) -> Result<Json<ErasureBody>, ApiError> {
    caller.require_write()?;
    let workspace = caller.workspace(&state, body_newsletter_id(&body)?).await?;
    let email = body_email(&body)?;
    let outcome = state
        .store
        .erase_address(
            &workspace,
            &email,
            client.origin(&caller, sources::API),
            Timestamp::now(),
        )
        .await?;
    Ok(Json(ErasureBody {
        newsletter_id: workspace.as_str().to_owned(),
        contact_id: outcome.contact_id.map(|id| id.as_str().to_owned()),
        events_scrubbed: outcome.events_scrubbed,
        suppression_id: outcome.suppression.id,
    }))
}
