//! `POST /v1/contacts`: create or update up to 1000 contacts, all or nothing.

use super::AppState;
use super::auth::Caller;
use super::body::BulkJsonObject;
use super::contact_json::ContactWrite;
use super::error::{ApiError, ErrorBody};
use crate::domain::bulk::{BulkItem, MAX_BULK_ITEMS, parse_bulk_item};
use crate::domain::timestamp::Timestamp;
use axum::Json;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// The bulk request (documentation shape; the body is read field by field). The published
/// schema is the hand-written one in `openapi_schemas.rs`, which replaces this one.
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
    /// The contact it created or matched.
    pub id: String,
    /// `created`, `updated` or `unchanged`.
    #[schema(example = "created")]
    pub status: &'static str,
}

/// The bulk answer; Notocat clients read only `synced`.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkResponse {
    /// Items applied (all of them).
    pub synced: usize,
    /// Items that created a contact.
    pub created: usize,
    /// Items that changed a contact.
    pub updated: usize,
    /// Items that matched a contact and changed nothing.
    pub unchanged: usize,
    /// One entry per item, in order.
    pub results: Vec<BulkItemResult>,
}

fn parse_items(contacts: Option<&Value>) -> Result<Vec<BulkItem>, ApiError> {
    let field = |code, message: &str| {
        ApiError::new(StatusCode::BAD_REQUEST, code, message).with_field("contacts")
    };
    let list = match contacts {
        None | Some(Value::Null) => return Err(field("missing_field", "`contacts` is required.")),
        Some(Value::Array(list)) => list,
        Some(_) => {
            return Err(field(
                "invalid_field",
                "`contacts` must be an array of contacts.",
            ));
        }
    };
    if list.is_empty() || list.len() > MAX_BULK_ITEMS {
        return Err(field(
            "invalid_field",
            "`contacts` must hold 1 to 1000 contacts.",
        ));
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
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$", description = "1–255 visible ASCII characters. The first answer is kept 24 h per API key and replayed with `Idempotent-Replayed: true`.")),
    request_body(content = BulkRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Every item applied.", body = BulkResponse),
        (status = 400, description = "Nothing written: a bad body, 0 or over 1000 items, or failing items listed in `details`.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "Read-only key, or a workspace the key may not use.", body = ErrorBody),
        (status = 413, description = "Body over the bulk limit.", body = ErrorBody),
        (status = 415, description = "Body is not `application/json`.", body = ErrorBody),
        (status = 409, description = "`idempotency_key_in_flight`: a request with this Idempotency-Key is still running.", body = ErrorBody),
        (status = 422, description = "`idempotency_key_reused`: this Idempotency-Key was used for another request.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn upsert_contacts(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
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
    let outcome = state
        .store
        .upsert_contacts(workspace, items, Timestamp::now(), caller.actor())
        .await?;
    let count = |s| outcome.results.iter().filter(|r| r.status == s).count();
    use crate::domain::bulk::ItemStatus::{Created, Unchanged, Updated};
    Ok(Json(BulkResponse {
        synced: outcome.results.len(),
        created: count(Created),
        updated: count(Updated),
        unchanged: count(Unchanged),
        results: outcome
            .results
            .into_iter()
            .map(|r| BulkItemResult {
                index: r.index,
                id: r.id.as_str().to_owned(),
                status: r.status.as_str(),
            })
            .collect(),
    }))
}
