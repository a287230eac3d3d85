//! `/v1/webhooks/{id}/…`: rotate the secret, read the deliveries log, replay, send a test
//! (api.md §6). Replays and tests are queued; the deliverer sends them within a moment.

use super::body::JsonObject;
use super::query::QueryParams;
use super::webhook_json::{DeliveryBody, DeliveryList, Queued, SecretBody, read_cursor};
use super::webhooks::endpoint_for;
use crate::domain::ids::random_body;
use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::{PREVIOUS_SECRET_LIFETIME_MS, WebhookSecret};
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::middleware::auth::Caller;
use crate::store::OneOff;
use axum::Json;
use axum::extract::{Extension, Path, RawQuery, State};
use axum::http::StatusCode;

/// Make a new signing secret; the old one keeps signing for 24 hours.
#[utoipa::path(
    post, path = "/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = String, Path, description = "`whk_…`"), ("Idempotency-Key" = Option<String>, Header, description = "As on every write.")),
    responses(
        (status = 200, description = "The new secret, shown only here. For 24 h every message carries two signatures, space-separated.", body = SecretBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key.", body = ErrorBody),
        (status = 404, description = "`webhook_not_found`.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Json<SecretBody>, ApiError> {
    caller.require_write()?;
    let endpoint = endpoint_for(&state, &caller, &id).await?;
    let secret = WebhookSecret::generate();
    let now = Timestamp::now();
    let until = Timestamp::from_millis(now.millis() + PREVIOUS_SECRET_LIFETIME_MS);
    state
        .store
        .rotate_webhook_secret(&endpoint.id, secret.clone(), until, now)
        .await?
        .ok_or_else(|| ApiError::from(ErrorCode::WebhookNotFound))?;
    Ok(Json(SecretBody {
        secret: secret.expose().to_owned(),
    }))
}

/// The deliveries log: every attempt, newest first.
#[utoipa::path(
    get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(
        ("id" = String, Path, description = "`whk_…`"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 250, description = "Most attempts, default 50."),
        ("before" = Option<String>, Query, pattern = "^[0-9]{0,18}$", description = "Only attempts older than this delivery `id` (`0` or left out: from the newest)."),
    ),
    responses(
        (status = 200, description = "Attempts, newest first; kept 30 days.", body = DeliveryList),
        (status = 400, description = "A bad parameter.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 404, description = "`webhook_not_found`.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<DeliveryList>, ApiError> {
    let params = QueryParams::parse(raw.as_deref())?;
    let limit = params.integer("limit", 1, 250, 50)?;
    let before = match params.text("before").filter(|s| !s.is_empty()) {
        None => 0,
        Some(raw) => raw.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::bad_parameter("before", "`before` must be a delivery `id`.")
        })?,
    };
    let endpoint = endpoint_for(&state, &caller, &id).await?;
    let log = state
        .store
        .list_deliveries(&endpoint.id, before, limit as u32)
        .await?;
    Ok(Json(DeliveryList {
        data: log.into_iter().map(DeliveryBody::from).collect(),
    }))
}

/// Send events again: every event after a cursor, in order, or one event.
#[utoipa::path(
    post, path = "/v1/webhooks/{id}/replay", tag = "webhooks",
    params(("id" = String, Path, description = "`whk_…`"), ("Idempotency-Key" = Option<String>, Header, description = "As on every write.")),
    request_body(content = Object, content_type = "application/json", description = "`{\"after\": <feed cursor>}` (delivery goes back to just after it, never forward, and goes on in order) or `{\"event_id\": <event id>}` (that event once more, outside the order)."),
    responses(
        (status = 202, description = "Queued.", body = Queued),
        (status = 400, description = "Neither or both of `after` and `event_id` (`missing_field`, `invalid_field`).", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key.", body = ErrorBody),
        (status = 404, description = "`webhook_not_found`, or `event_not_found`: an `event_id` not in this workspace's feed.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn replay(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    caller.require_write()?;
    let endpoint = endpoint_for(&state, &caller, &id).await?;
    let after = body.get("after").filter(|v| !v.is_null());
    let event = body.get("event_id").filter(|v| !v.is_null());
    match (after, event) {
        (Some(after), None) => {
            let after = read_cursor(after, "after")?;
            state
                .store
                .replay_webhook_after(&endpoint.id, after)
                .await?;
            let queued = Queued {
                message_id: None,
                after: Some(after.to_string()),
            };
            Ok((StatusCode::ACCEPTED, Json(queued)))
        }
        (None, Some(event)) => {
            let seq = read_cursor(event, "event_id")?;
            // By its id: on PostgreSQL the feed after `seq - 1` need not start at `seq`.
            let found = state
                .store
                .webhook_event(&endpoint.workspace_id, seq)
                .await?;
            if found.is_none() {
                return Err(ErrorCode::EventNotFound.into());
            }
            let message_id = seq.to_string();
            queue(&state, &endpoint.id, Some(seq), message_id).await
        }
        (None, None) => Err(ApiError::new(
            ErrorCode::MissingField,
            "Give `after` (a feed cursor) or `event_id`.",
        )
        .with_field("after")),
        (Some(_), Some(_)) => Err(ApiError::new(
            ErrorCode::InvalidField,
            "Give `after` or `event_id`, not both.",
        )
        .with_field("event_id")),
    }
}

async fn queue(
    state: &AppState,
    id: &crate::domain::ids::WebhookId,
    event_seq: Option<i64>,
    message_id: String,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    let one_off = OneOff {
        id: 0,
        event_seq,
        message_id: message_id.clone(),
        created_at: Timestamp::now(),
    };
    state.store.queue_one_off(id, one_off).await?;
    let queued = Queued {
        message_id: Some(message_id),
        after: None,
    };
    Ok((StatusCode::ACCEPTED, Json(queued)))
}

/// Send a `webhook.test` message.
#[utoipa::path(
    post, path = "/v1/webhooks/{id}/test", tag = "webhooks",
    params(("id" = String, Path, description = "`whk_…`"), ("Idempotency-Key" = Option<String>, Header, description = "As on every write.")),
    responses(
        (status = 202, description = "Queued; sent once, within a moment, while the endpoint is enabled. Its outcome is in the deliveries log.", body = Queued),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key.", body = ErrorBody),
        (status = 404, description = "`webhook_not_found`.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn send_test(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Queued>), ApiError> {
    caller.require_write()?;
    let endpoint = endpoint_for(&state, &caller, &id).await?;
    queue(
        &state,
        &endpoint.id,
        None,
        format!("msg_{}", random_body(21)),
    )
    .await
}
