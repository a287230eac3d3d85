//! `/v1/webhooks`: create, list, read, change and delete webhook endpoints (api.md §6).
//! Rotation, the deliveries log, replay and the test message are in `webhook_actions`.

use super::body::JsonObject;
use super::query::QueryParams;
use super::webhook_json::{WebhookBody, WebhookCreate, WebhookList, read_description, read_events};
use crate::domain::ids::WebhookId;
use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::{EndpointState, WebhookEndpoint, WebhookPatch, WebhookSecret};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::middleware::auth::Caller;
use crate::webhooks::client::check_target;
use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;
use serde_json::{Map, Value};

/// The endpoint `id` names, if the key may use its workspace; else 404 `webhook_not_found`.
pub async fn endpoint_for(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<WebhookEndpoint, ApiError> {
    let missing = || ApiError::from(ErrorCode::WebhookNotFound);
    let id = WebhookId::parse(id).ok_or_else(missing)?;
    let endpoint = state.store.get_webhook(&id).await?.ok_or_else(missing)?;
    if !caller.key.grants(&endpoint.workspace_id) {
        return Err(missing());
    }
    Ok(endpoint)
}

async fn read_url(state: &AppState, value: Option<&Value>) -> Result<Option<String>, ApiError> {
    match value {
        None => Ok(None),
        Some(Value::String(url)) => check_target(url, state.webhooks.settings.allow_private)
            .await
            .map(Some)
            .map_err(|m| ApiError::new(ErrorCode::InvalidField, m).with_field("url")),
        Some(_) => {
            Err(ApiError::new(ErrorCode::InvalidField, "`url` must be a string.").with_field("url"))
        }
    }
}

/// Create a webhook endpoint.
#[utoipa::path(
    post, path = "/v1/webhooks", tag = "webhooks",
    params(("Idempotency-Key" = Option<String>, Header, description = "The first answer is kept 24 h per API key and replayed (with the secret).")),
    request_body(content = WebhookCreate, content_type = "application/json", description = "`{\"newsletter_id\", \"url\", \"events\"?: [...], \"description\"?}`; `newsletter_id` may be left out when the key grants one workspace."),
    responses(
        (status = 201, description = "Created; `secret` is shown only here and on rotation.", body = WebhookBody),
        (status = 400, description = "`url` missing (`missing_field`), not http(s), or pointing at a private address (`invalid_field`); bad `events` or `description`.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key, or a workspace the key may not use.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_webhook(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<WebhookBody>), ApiError> {
    caller.require_write()?;
    let workspace = caller
        .workspace(&state, body.get("newsletter_id").and_then(Value::as_str))
        .await?;
    let url = read_url(&state, body.get("url").filter(|v| !v.is_null()))
        .await?
        .ok_or_else(|| {
            ApiError::new(ErrorCode::MissingField, "`url` is required.").with_field("url")
        })?;
    let event_types = read_events(body.get("events"))?;
    let description = read_description(&body)?.unwrap_or_default();
    let now = Timestamp::now();
    let secret = WebhookSecret::generate();
    let endpoint = WebhookEndpoint {
        id: WebhookId::generate(),
        workspace_id: workspace,
        url,
        event_types,
        description,
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
    let stored = state.store.create_webhook(endpoint).await?;
    let mut answer = WebhookBody::of(stored);
    answer.secret = Some(secret.expose().to_owned());
    Ok((StatusCode::CREATED, Json(answer)))
}

/// List the webhook endpoints of a workspace.
#[utoipa::path(
    get, path = "/v1/webhooks", tag = "webhooks",
    params(("newsletter_id" = Option<String>, Query, description = "The workspace; may be left out when the key grants exactly one.")),
    responses(
        (status = 200, description = "Its endpoints, oldest first, without secrets.", body = WebhookList),
        (status = 400, description = "`newsletter_id` missing with a key for several workspaces.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "A workspace the key may not use.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_webhooks(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Json<WebhookList>, ApiError> {
    let params = QueryParams::parse(raw.as_deref())?;
    let workspace = caller
        .workspace(&state, params.text("newsletter_id"))
        .await?;
    let endpoints = state.store.list_webhooks(&workspace).await?;
    Ok(Json(WebhookList {
        data: endpoints.into_iter().map(WebhookBody::of).collect(),
    }))
}

/// Read one webhook endpoint.
#[utoipa::path(
    get, path = "/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "`whk_…`")),
    responses(
        (status = 200, description = "The endpoint, without its secret.", body = WebhookBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 404, description = "`webhook_not_found`.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_webhook(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<WebhookBody>, ApiError> {
    Ok(Json(WebhookBody::of(
        endpoint_for(&state, &caller, &id).await?,
    )))
}

fn patch_of(body: &Map<String, Value>) -> Result<WebhookPatch, ApiError> {
    let enabled = match body.get("enabled") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => {
            return Err(
                ApiError::new(ErrorCode::InvalidField, "`enabled` must be true or false.")
                    .with_field("enabled"),
            );
        }
    };
    Ok(WebhookPatch {
        url: None,
        event_types: body
            .contains_key("events")
            .then(|| read_events(body.get("events")))
            .transpose()?,
        description: read_description(body)?,
        enabled,
    })
}

/// Change a webhook endpoint: `url`, `events`, `enabled`, `description`.
#[utoipa::path(
    patch, path = "/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "`whk_…`"), ("Idempotency-Key" = Option<String>, Header, description = "As on every write.")),
    request_body(content = Object, content_type = "application/json", description = "Any of `url`, `events` (null: every type), `enabled`, `description`. `enabled: true` resumes delivery from the first event not yet accepted."),
    responses(
        (status = 200, description = "The endpoint after the change.", body = WebhookBody),
        (status = 400, description = "A bad field (`invalid_field`).", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key.", body = ErrorBody),
        (status = 404, description = "`webhook_not_found`.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn patch_webhook(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<Json<WebhookBody>, ApiError> {
    caller.require_write()?;
    let endpoint = endpoint_for(&state, &caller, &id).await?;
    let mut patch = patch_of(&body)?;
    if body.get("url").is_some_and(|v| !v.is_null()) {
        patch.url = read_url(&state, body.get("url")).await?;
    }
    let updated = state
        .store
        .update_webhook(&endpoint.id, patch, Timestamp::now())
        .await?
        .ok_or_else(|| ApiError::from(ErrorCode::WebhookNotFound))?;
    Ok(Json(WebhookBody::of(updated)))
}

/// Delete a webhook endpoint, its log and its queue.
#[utoipa::path(
    delete, path = "/v1/webhooks/{id}", tag = "webhooks",
    params(("id" = String, Path, description = "`whk_…`"), ("Idempotency-Key" = Option<String>, Header, description = "As on every write.")),
    responses(
        (status = 204, description = "Deleted."),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key.", body = ErrorBody),
        (status = 404, description = "`webhook_not_found`.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require_write()?;
    let endpoint = endpoint_for(&state, &caller, &id).await?;
    if !state.store.delete_webhook(&endpoint.id).await? {
        return Err(ErrorCode::WebhookNotFound.into());
    }
    Ok(StatusCode::NO_CONTENT)
}
