//! The inbound endpoints senders post bounces and complaints to (no API key: the
//! workspace's inbound secret in the path is the capability): `POST
//! /inbound/postmark/{workspace}/{secret}` and `POST /inbound/ses/{workspace}/{secret}`
//! (Amazon SES through SNS, signature checked). Both read any content type as JSON (SNS
//! sends `text/plain`), and both act through `inbound::apply::apply_inbound` only.

use super::body::parse_object;
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::client_evidence::ClientEvidence;
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::request_body;
use crate::inbound::ses::{SnsMessage, SnsType, reports};
use crate::inbound::sns_fetch::{self, FetchError};
use crate::inbound::{InboundReport, apply::apply_inbound, postmark, secret};
use axum::Json;
use axum::extract::{Path, Request, State};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// What an inbound post did.
#[derive(Debug, Serialize, ToSchema)]
pub struct InboundAnswer {
    /// `ignored` (a record that is no bounce or complaint), `confirmed` (an SNS
    /// subscription), or `processed`.
    #[schema(example = "processed")]
    pub status: &'static str,
    /// For each address reported, in order: `suppressed`, `recorded` or `unknown_address`.
    #[schema(example = json!(["suppressed"]))]
    pub results: Vec<&'static str>,
}

impl InboundAnswer {
    fn status(status: &'static str) -> Json<InboundAnswer> {
        Json(InboundAnswer {
            status,
            results: Vec::new(),
        })
    }
}

/// 404 for a workspace or secret that does not match, the same answer either way.
async fn admit(state: &AppState, workspace: &str, given: &str) -> Result<WorkspaceId, ApiError> {
    let not_found = || ApiError::from(ErrorCode::NotFound);
    let workspace = WorkspaceId::parse(workspace).ok_or_else(not_found)?;
    match state.store.inbound_secret_hash(&workspace).await? {
        Some(stored) if secret::matches(given, &stored) => Ok(workspace),
        _ => Err(not_found()),
    }
}

/// The body as a JSON object, whatever its content type (within the bulk route's limit:
/// a bounce may carry the bounced message).
async fn body_object(state: &AppState, req: Request) -> Result<Map<String, Value>, ApiError> {
    let (parts, body) = req.into_parts();
    let bytes = request_body::read(
        &parts.headers,
        body,
        state.limits.bulk_body_bytes,
        state.limits.body_read_timeout,
    )
    .await
    .map_err(ApiError::from)?;
    parse_object(&bytes)
}

async fn apply_all(
    state: &AppState,
    workspace: &WorkspaceId,
    found: Vec<InboundReport>,
    client: &ClientEvidence,
) -> Result<Json<InboundAnswer>, ApiError> {
    let mut results = Vec::with_capacity(found.len());
    for report in &found {
        let request = client.evidence(report.provider.source());
        let applied =
            apply_inbound(&*state.store, workspace, report, &request, Timestamp::now()).await?;
        results.push(applied.as_str());
    }
    Ok(Json(InboundAnswer {
        status: "processed",
        results,
    }))
}

/// Postmark's bounce, spam-complaint and subscription-change webhooks.
#[utoipa::path(
    post, path = "/inbound/postmark/{workspace}/{secret}", tag = "inbound",
    params(
        ("workspace" = String, Path, description = "The workspace (`wks_…`)."),
        ("secret" = String, Path, description = "The workspace's inbound secret (`POST /v1/inbound-secrets`)."),
    ),
    request_body(content = Object, content_type = "application/json", description = "A Postmark webhook body: `RecordType` `Bounce`, `SpamComplaint` or `SubscriptionChange` (others are ignored)."),
    responses(
        (status = 200, description = "Taken: hard bounces and complaints suppress the address (`bounced`, `complained`; the contact is unsubscribed), soft bounces are recorded; an address no contact has changes nothing.", body = InboundAnswer),
        (status = 400, description = "Not JSON, or a record without its address.", body = ErrorBody),
        (status = 404, description = "Unknown workspace or wrong secret (the same answer).", body = ErrorBody),
        (status = 413, description = "Body over the limit.", body = ErrorBody),
    )
)]
pub async fn postmark_webhook(
    State(state): State<AppState>,
    Path((workspace, given)): Path<(String, String)>,
    client: ClientEvidence,
    req: Request,
) -> Result<Json<InboundAnswer>, ApiError> {
    let workspace = admit(&state, &workspace, &given).await?;
    let body = body_object(&state, req).await?;
    match postmark::read(&body)? {
        None => Ok(InboundAnswer::status("ignored")),
        Some(report) => apply_all(&state, &workspace, vec![report], &client).await,
    }
}

fn fetch_error(e: FetchError) -> ApiError {
    match e {
        FetchError::Refused(why) => ApiError::new(
            ErrorCode::InvalidSignature,
            format!(
                "The SNS message names a URL that is not Amazon SNS's; nothing was done ({why})."
            ),
        ),
        FetchError::Certificate(why) => ApiError::new(
            ErrorCode::InvalidSignature,
            format!("The SNS signing certificate is not usable ({why}); nothing was done."),
        ),
        failed @ FetchError::Failed { .. } => {
            tracing::warn!(error = %failed, "cannot reach Amazon SNS for an inbound message");
            ErrorCode::SnsUnavailable.into()
        }
    }
}

/// Amazon SES notifications through an SNS HTTP(S) subscription.
#[utoipa::path(
    post, path = "/inbound/ses/{workspace}/{secret}", tag = "inbound",
    params(
        ("workspace" = String, Path, description = "The workspace (`wks_…`)."),
        ("secret" = String, Path, description = "The workspace's inbound secret (`POST /v1/inbound-secrets`)."),
    ),
    request_body(content = Object, content_type = "application/json", description = "An SNS message (JSON; SNS sends it as `text/plain`, and purrlist reads the body as JSON whatever its type): `SubscriptionConfirmation`, `Notification` whose `Message` is an SES notification, or `UnsubscribeConfirmation`."),
    responses(
        (status = 200, description = "Signature checked; a subscription confirmed, or the SES notification applied (`Bounce` `Permanent` and `Complaint` suppress the address, `Transient` is recorded).", body = InboundAnswer),
        (status = 400, description = "Not an SNS message, or an SES notification without its recipients.", body = ErrorBody),
        (status = 403, description = "`invalid_signature`: the signature, or where its certificate comes from, does not check out.", body = ErrorBody),
        (status = 404, description = "Unknown workspace or wrong secret (the same answer).", body = ErrorBody),
        (status = 413, description = "Body over the limit.", body = ErrorBody),
        (status = 502, description = "`sns_unavailable`: Amazon SNS could not be reached for the certificate or the confirmation; SNS retries.", body = ErrorBody),
    )
)]
pub async fn ses_webhook(
    State(state): State<AppState>,
    Path((workspace, given)): Path<(String, String)>,
    client: ClientEvidence,
    req: Request,
) -> Result<Json<InboundAnswer>, ApiError> {
    let workspace = admit(&state, &workspace, &given).await?;
    let body = body_object(&state, req).await?;
    let message = SnsMessage::read(&body)?;
    let certificate = sns_fetch::certificate(&state.inbound, &message.signing_cert_url)
        .await
        .map_err(fetch_error)?;
    certificate
        .verify(&message, Timestamp::now())
        .map_err(|e| {
            ApiError::new(
                ErrorCode::InvalidSignature,
                format!("The SNS message is refused: {e}."),
            )
        })?;
    match message.kind {
        SnsType::SubscriptionConfirmation => {
            let url = message.subscribe_url.as_deref().unwrap_or("");
            sns_fetch::confirm_subscription(&state.inbound, url)
                .await
                .map_err(fetch_error)?;
            tracing::info!(workspace = %workspace, topic = %message.topic_arn, "confirmed an SNS subscription for inbound SES notifications");
            Ok(InboundAnswer::status("confirmed"))
        }
        SnsType::UnsubscribeConfirmation => Ok(InboundAnswer::status("ignored")),
        SnsType::Notification => {
            let found = reports(&message)?;
            if found.is_empty() {
                return Ok(InboundAnswer::status("ignored"));
            }
            apply_all(&state, &workspace, found, &client).await
        }
    }
}
