//! `POST /v1/inbound-secrets`: makes (or replaces) a workspace's inbound secret and shows
//! it once, with the two URLs to give Postmark and SNS. Replacing it stops the old URLs
//! at once.

use super::body::JsonObject;
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::auth::Caller;
use crate::inbound::secret;
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The body of `POST /v1/inbound-secrets`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body in OpenAPI
pub struct InboundSecretRequest {
    /// The workspace; may be left out when the key grants exactly one.
    #[schema(example = "wks_Tj4fTx-GWT0kCkKc375tG")]
    newsletter_id: Option<String>,
}

/// A new inbound secret, shown only here.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboundSecretBody {
    /// The workspace.
    #[schema(example = "wks_Tj4fTx-GWT0kCkKc375tG")]
    pub newsletter_id: String,
    /// 32 characters of `A-Za-z0-9_-`; stored only as a hash.
    #[schema(example = "q1W2e3R4t5Y6u7I8o9P0a1S2d3F4g5H6")]
    pub secret: String,
    /// The URL for Postmark's bounce and spam-complaint webhooks.
    #[schema(
        example = "https://lists.example.com/inbound/postmark/wks_Tj4fTx-GWT0kCkKc375tG/q1W2e3R4t5Y6u7I8o9P0a1S2d3F4g5H6"
    )]
    pub postmark_url: String,
    /// The URL of the SNS HTTPS subscription for SES bounce and complaint notifications.
    #[schema(
        example = "https://lists.example.com/inbound/ses/wks_Tj4fTx-GWT0kCkKc375tG/q1W2e3R4t5Y6u7I8o9P0a1S2d3F4g5H6"
    )]
    pub ses_url: String,
}

/// Make or replace a workspace's inbound secret.
#[utoipa::path(
    post, path = "/v1/inbound-secrets", tag = "inbound",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. The first answer is kept 24 h per API key and replayed with `Idempotent-Replayed: true`.")),
    request_body(content = InboundSecretRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The new secret and its URLs, shown only this once; any earlier secret stops working.", body = InboundSecretBody),
        (status = 400, description = "`newsletter_id` missing with a key for several workspaces, or a malformed `Idempotency-Key`.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key, or a workspace the key may not use.", body = ErrorBody),
        (status = 409, description = "`idempotency_key_in_flight`: a request with this Idempotency-Key is still running.", body = ErrorBody),
        (status = 413, description = "Body over the limit.", body = ErrorBody),
        (status = 415, description = "Body is not `application/json`.", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`: this Idempotency-Key was used for another request.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create_inbound_secret(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<InboundSecretBody>), ApiError> {
    caller.require_write()?;
    let newsletter_id = match body.get("newsletter_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(ApiError::no_access()),
    };
    let workspace = caller.workspace(&state, newsletter_id).await?;
    let fresh = secret::generate();
    state
        .store
        .set_inbound_secret(&workspace, secret::hash(&fresh), Timestamp::now())
        .await?;
    let base = &state.inbound.public_url;
    let url = |provider: &str| format!("{base}/inbound/{provider}/{workspace}/{fresh}");
    Ok((
        StatusCode::CREATED,
        Json(InboundSecretBody {
            newsletter_id: workspace.to_string(),
            postmark_url: url("postmark"),
            ses_url: url("ses"),
            secret: fresh.clone(),
        }),
    ))
}
