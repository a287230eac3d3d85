//! `POST /v1/contacts`: create or update up to 1000 contacts, all or nothing, except
//! that an item refused because its address is suppressed is left out on its own
//! (`status: "suppressed"`) while the others apply.

use super::body::BulkJsonObject;
use super::confirm_requests::{ask_to_confirm, outcome_name};
use super::contact_json::ContactWrite;
use crate::domain::bulk::ItemRefusal;
use crate::domain::bulk::{BulkItem, MAX_BULK_ITEMS, parse_bulk_item};
use crate::domain::evidence::sources;
use crate::domain::patch_input::FieldError;
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::client_evidence::ClientEvidence;
use crate::http::error::{ApiError, ErrorBody, ErrorCode};
use crate::http::middleware::auth::Caller;
use axum::Json;
use axum::extract::{Extension, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The bulk request (documentation shape; the body is read field by field). The published
/// schema is the hand-written one in `http/openapi/schemas.rs`, which replaces this one.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body in OpenAPI
pub struct BulkRequest {
    /// The workspace; may be left out when the key grants exactly one.
    #[schema(example = "wks_Tj4fTx-GWT0kCkKc375tG")]
    newsletter_id: Option<String>,
    /// 1 to 1000 contacts; each is matched by `id`, else by email, and applied in order.
    #[schema(min_items = 1, max_items = 1000)]
    contacts: Vec<ContactWrite>,
}

/// What became of one item.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkItemResult {
    /// Position in `contacts`.
    pub index: usize,
    /// The contact it created or matched (left out for a `suppressed` item that matched
    /// no contact).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `created`, `updated` or `unchanged`; `suppressed` for an item left out because its
    /// address is suppressed (extension: nothing of it was written).
    #[schema(example = "created")]
    pub status: &'static str,
    /// `suppressed`, for a `suppressed` item only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "suppressed")]
    pub code: Option<ErrorCode>,
    /// Why, for a `suppressed` item only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// For an item with `"confirm": true`: `requested` (the link is in the feed) or
    /// `already_subscribed` (nothing asked). Left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "requested")]
    pub confirmation: Option<&'static str>,
}

impl BulkItemResult {
    fn refused(refusal: ItemRefusal) -> BulkItemResult {
        BulkItemResult {
            index: refusal.index,
            id: refusal.id.map(|id| id.as_str().to_owned()),
            status: "suppressed",
            code: Some(ErrorCode::Suppressed),
            message: Some(refusal.refusal.message()),
            confirmation: None,
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The bulk answer; Notocat clients read only `synced`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResponse {
    /// Items applied (all of them but `suppressed` ones).
    pub synced: usize,
    /// Items that created a contact.
    pub created: usize,
    /// Items that changed a contact.
    pub updated: usize,
    /// Items that matched a contact and changed nothing.
    pub unchanged: usize,
    /// Items left out because their address is suppressed (extension; left out when 0).
    #[serde(skip_serializing_if = "is_zero")]
    pub suppressed: usize,
    /// One entry per item, in order.
    pub results: Vec<BulkItemResult>,
}

fn parse_items(contacts: Option<&Value>) -> Result<Vec<BulkItem>, ApiError> {
    let list = match contacts {
        None | Some(Value::Null) => return Err(FieldError::missing("contacts").into()),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(FieldError::invalid(
                "contacts",
                "`contacts` must be an array of contacts.",
            )
            .into());
        }
    };
    if list.is_empty() || list.len() > MAX_BULK_ITEMS {
        return Err(
            FieldError::invalid("contacts", "`contacts` must hold 1 to 1000 contacts.").into(),
        );
    }
    // Unreadable items go to the store too, so `details` lists them beside items that
    // fail only against stored contacts (unknown id, email taken): every bad index at once.
    Ok(list
        .iter()
        .map(|raw| parse_bulk_item(raw).unwrap_or_else(BulkItem::invalid))
        .collect())
}

/// Create or update contacts in bulk.
#[utoipa::path(
    post, path = "/v1/contacts", tag = "contacts",
    params(("Idempotency-Key" = Option<String>, Header, description = "1–255 visible ASCII characters. The first answer is kept 24 h per API key and replayed with `Idempotent-Replayed: true`.")),
    request_body(content = BulkRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Every item applied, except items whose address is suppressed (`status: \"suppressed\"` in `results`; send `\"override_suppression\": true` on an item to subscribe it anyway).", body = BulkResponse),
        (status = 400, description = "Nothing written: a malformed `Idempotency-Key`, a bad body, 0 or over 1000 items, or failing items listed in `details` (`invalid_contacts`). Items can also fail because of what is stored, however well formed: `contact_not_found` for an `id` that is no contact of the workspace, `email_taken`, or custom fields past 100 keys or 16 KiB once merged with the stored ones.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key, or a workspace the key may not use.", body = ErrorBody),
        (status = 408, description = "The body did not arrive within the body-read time limit; the connection closes.", body = ErrorBody),
        (status = 413, description = "Body over the bulk limit, as sent or once decoded.", body = ErrorBody),
        (status = 415, description = "Body is not `application/json`, or has a `Content-Encoding` other than gzip, deflate or br.", body = ErrorBody),
        (status = 409, description = "`idempotency_key_in_flight`: a request with this Idempotency-Key is still running.", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`: this Idempotency-Key was used for another request.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn upsert_contacts(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    client: ClientEvidence,
    BulkJsonObject(body): BulkJsonObject,
) -> Result<Json<BulkResponse>, ApiError> {
    caller.require_write()?;
    let newsletter_id = match body.get("newsletter_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(ApiError::no_access()),
    };
    let workspace = caller.workspace(&state, newsletter_id).await?;
    let items = parse_items(body.get("contacts"))?;
    let confirm: Vec<bool> = items.iter().map(|i| i.confirm).collect();
    let (now, origin) = (Timestamp::now(), client.origin(&caller, sources::BULK));
    let (outcome, confirmations) = if confirm.contains(&true) {
        let ask = ask_to_confirm(&state, &caller, "bulk");
        state
            .store
            .upsert_and_ask(workspace, items, now, origin, ask)
            .await?
    } else {
        let outcome = state
            .store
            .upsert_contacts(workspace, items, now, origin)
            .await?;
        (outcome, Vec::new())
    };
    let mut confirmations = confirmations.into_iter();
    let count = |s| outcome.results.iter().filter(|r| r.status == s).count();
    use crate::domain::bulk::ItemStatus::{Created, Unchanged, Updated};
    let mut results: Vec<BulkItemResult> = outcome
        .results
        .iter()
        .map(|r| BulkItemResult {
            confirmation: confirm
                .get(r.index)
                .copied()
                .unwrap_or(false)
                .then(|| confirmations.next())
                .flatten()
                .map(|o| outcome_name(&o)),
            index: r.index,
            id: Some(r.id.as_str().to_owned()),
            status: r.status.as_str(),
            code: None,
            message: None,
        })
        .collect();
    let suppressed = outcome.refused.len();
    results.extend(outcome.refused.into_iter().map(BulkItemResult::refused));
    results.sort_by_key(|r| r.index);
    Ok(Json(BulkResponse {
        synced: outcome.results.len(),
        created: count(Created),
        updated: count(Updated),
        unchanged: count(Unchanged),
        suppressed,
        results,
    }))
}
