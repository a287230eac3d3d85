//! `/v1/suppressions` (api.md §8, extension): a workspace's suppressed addresses, adding a
//! suppression by hand, and lifting one. The rules are `domain::suppression`'s.

use super::body::JsonObject;
use super::contact_list::{DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE};
use super::events::ActorBody;
use super::query::QueryParams;
use crate::domain::api_key::WorkspaceGrant;
use crate::domain::email::EmailAddress;
use crate::domain::events::Actor;
use crate::domain::evidence::sources;
use crate::domain::patch_input::{FieldError, FieldErrorKind};
use crate::domain::suppression::{Suppressed, Suppression, SuppressionReason, is_suppression_id};
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::client_evidence::ClientEvidence;
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::middleware::auth::Caller;
use crate::store::LiftOutcome;
use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The actor as the feed shows it.
pub fn actor_body(actor: &Actor) -> ActorBody {
    ActorBody {
        kind: actor.kind(),
        id: actor.key_id().map(str::to_owned),
    }
}

/// One suppressed address.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuppressionBody {
    /// The suppression's id: a salted hash of the workspace and the address (64 hex digits).
    #[schema(example = "9f2c7d0b4e5a61c3b8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5")]
    pub id: String,
    /// The workspace.
    pub newsletter_id: String,
    /// The address in its normal form; `null` for an erased one (only the hash is kept).
    #[schema(example = "noto@example.com")]
    pub email: Option<String>,
    /// `bounced`, `complained`, `erased` or `manual`.
    #[schema(example = "manual")]
    pub reason: &'static str,
    /// Where it came from: the actor's kind (`api_key`, `cli`, `import:<format>`, …).
    #[schema(example = "api_key")]
    pub source: String,
    /// Who made it.
    pub actor: ActorBody,
    /// When it was made.
    #[serde(rename = "createdAt")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<Suppression> for SuppressionBody {
    fn from(s: Suppression) -> SuppressionBody {
        SuppressionBody {
            newsletter_id: s.workspace_id.as_str().to_owned(),
            email: s.email,
            reason: s.reason.as_str(),
            source: s.actor.stored_kind().into_owned(),
            actor: actor_body(&s.actor),
            created_at: s.at,
            id: s.id,
        }
    }
}

/// A page of suppressions, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuppressionList {
    /// This page.
    pub data: Vec<SuppressionBody>,
    /// Every suppression of the workspace.
    pub total: u64,
    /// The page number.
    pub page: u64,
    /// `(page - 1) * limit`.
    pub offset: u64,
}

/// `POST /v1/suppressions` (documentation shape; the body is read field by field).
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body in OpenAPI
pub struct SuppressionCreate {
    /// The workspace; may be left out when the key grants exactly one.
    newsletter_id: Option<String>,
    /// The address to suppress (it need not be a contact).
    #[schema(example = "noto@example.com")]
    email: String,
    /// `manual` (the default), `bounced` or `complained`; erasure is `POST /v1/privacy/erase`.
    #[schema(example = "manual")]
    reason: Option<String>,
}

/// `newsletter_id` of a body: a string, or left out; anything else is a workspace the
/// key may not use.
pub fn body_newsletter_id(body: &Map<String, Value>) -> Result<Option<&str>, ApiError> {
    match body.get("newsletter_id") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(ApiError::no_access()),
    }
}

/// The required `email` of a body, parsed.
pub fn body_email(body: &Map<String, Value>) -> Result<EmailAddress, ApiError> {
    let invalid = |m: String| FieldError::new("email", FieldErrorKind::InvalidEmail, m);
    match body.get("email") {
        None | Some(Value::Null) => Err(FieldError::missing("email").into()),
        Some(Value::String(s)) => Ok(EmailAddress::parse(s).map_err(|e| invalid(e.to_string()))?),
        Some(_) => Err(invalid("`email` must be a string.".to_owned()).into()),
    }
}

fn body_reason(body: &Map<String, Value>) -> Result<SuppressionReason, ApiError> {
    let refuse = || {
        ApiError::new(
            ErrorCode::InvalidField,
            "`reason` must be `manual`, `bounced` or `complained` (erase with POST /v1/privacy/erase).",
        )
        .with_field("reason")
    };
    match body.get("reason") {
        None | Some(Value::Null) => Ok(SuppressionReason::Manual),
        Some(Value::String(s)) => SuppressionReason::parse(s)
            .filter(|r| *r != SuppressionReason::Erased)
            .ok_or_else(refuse),
        Some(_) => Err(refuse()),
    }
}

/// List a workspace's suppressions.
#[utoipa::path(
    get, path = "/v1/suppressions", tag = "suppressions",
    params(
        ("newsletter_id" = Option<String>, Query, description = "The workspace (`wks_…`); may be left out when the key grants exactly one."),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 1000, description = "Page size, default 100."),
        ("page" = Option<u64>, Query, minimum = 1, maximum = 10000000, description = "Page number, default 1."),
    ),
    responses(
        (status = 200, description = "A page of suppressions, newest first; erased ones show only their id.", body = SuppressionList),
        (status = 400, description = "A bad parameter, or `newsletter_id` missing with a key for several workspaces.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "The key may not use this workspace, or it does not exist.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_suppressions(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Json<SuppressionList>, ApiError> {
    let params = QueryParams::parse(raw.as_deref())?;
    let limit = params.integer("limit", 1, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE)?;
    let page = params.integer("page", 1, MAX_PAGE, 1)?;
    let workspace = caller
        .workspace(&state, params.text("newsletter_id"))
        .await?;
    let offset = (page - 1) * limit;
    let found = state
        .store
        .list_suppressions(&workspace, limit as u32, offset)
        .await?;
    Ok(Json(SuppressionList {
        data: found.suppressions.into_iter().map(Into::into).collect(),
        total: found.total,
        page,
        offset,
    }))
}

/// Suppress an address by hand: its contact (if any) is unsubscribed and cannot be
/// subscribed again without the override.
#[utoipa::path(
    post, path = "/v1/suppressions", tag = "suppressions",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. The first answer is kept 24 h per API key and replayed with `Idempotent-Replayed: true`.")),
    request_body(content = SuppressionCreate, content_type = "application/json"),
    responses(
        (status = 200, description = "The suppression (an address already suppressed for this reason is unchanged; an erased one stays erased).", body = SuppressionBody),
        (status = 400, description = "`email` missing or invalid, or a bad `reason`.", body = ErrorBody),
        (status = 415, description = "Body is not `application/json`.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key, or a workspace the key may not use.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_suppression(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    client: ClientEvidence,
    JsonObject(body): JsonObject,
) -> Result<Json<SuppressionBody>, ApiError> {
    caller.require_write()?;
    let workspace = caller.workspace(&state, body_newsletter_id(&body)?).await?;
    let email = body_email(&body)?;
    let reason = body_reason(&body)?;
    let outcome = state
        .store
        .suppress_address(
            &workspace,
            &email,
            reason,
            client.origin(&caller, sources::API),
            Timestamp::now(),
        )
        .await?;
    Ok(Json(outcome.suppression.into()))
}

/// Lift a suppression: a `manual` one always; a `bounced` or `complained` one only with
/// `override_suppression=true`; an `erased` one never. The contact stays unsubscribed.
#[utoipa::path(
    delete, path = "/v1/suppressions/{id}", tag = "suppressions",
    params(
        ("id" = String, Path, description = "The suppression's id (from the list); another shape is `404`."),
        ("override_suppression" = Option<bool>, Query, description = "`true` to lift a `bounced` or `complained` suppression."),
        ("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. The first answer is kept 24 h per API key and replayed with `Idempotent-Replayed: true`."),
    ),
    responses(
        (status = 204, description = "Lifted."),
        (status = 400, description = "A bad parameter.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key.", body = ErrorBody),
        (status = 404, description = "`suppression_not_found`: no such suppression in a workspace the key may use.", body = ErrorBody),
        (status = 409, description = "`suppressed`: a bounce or complaint without `override_suppression=true`, or an erasure (never lifted).", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_suppression(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    client: ClientEvidence,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<StatusCode, ApiError> {
    caller.require_write()?;
    let params = QueryParams::parse(raw.as_deref())?;
    let override_given = params.boolean("override_suppression")?.unwrap_or(false);
    if !is_suppression_id(&id) {
        return Err(ErrorCode::SuppressionNotFound.into());
    }
    let workspaces = match &caller.key.grant {
        WorkspaceGrant::All => None,
        WorkspaceGrant::Listed(listed) => Some(listed.as_slice()),
    };
    let outcome = state
        .store
        .lift_suppression(
            &id,
            workspaces,
            override_given,
            client.origin(&caller, sources::API),
            Timestamp::now(),
        )
        .await?;
    match outcome {
        LiftOutcome::Lifted(_) => Ok(StatusCode::NO_CONTENT),
        LiftOutcome::NotFound => Err(ErrorCode::SuppressionNotFound.into()),
        LiftOutcome::Refused(SuppressionReason::Erased) => Err(ApiError::new(
            ErrorCode::Suppressed,
            "An erased address stays suppressed: it can come back only when the person asks again, through a write with `\"override_suppression\": true`.",
        )),
        LiftOutcome::Refused(reason) => Err(ApiError::new(
            ErrorCode::Suppressed,
            format!(
                "{} Lift it with `override_suppression=true` only if you know the address works and wants mail again.",
                Suppressed(reason).message()
            ),
        )),
    }
}
