//! The JSON shapes of the contacts API, byte-compatible with Notocat's.

use crate::domain::contact::Contact;
use crate::domain::timestamp::Timestamp;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A contact: the eleven fields, always all present, in Notocat's order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactBody {
    /// `con_` + 21 characters.
    #[schema(
        example = "con_D6zCfeVDaAAT-b9dl9SIE",
        pattern = "^con_[A-Za-z0-9_-]{21}$"
    )]
    pub id: String,
    /// The workspace (Notocat's newsletter).
    #[schema(
        example = "wks_Tj4fTx-GWT0kCkKc375tG",
        pattern = "^wks_[A-Za-z0-9_-]{21}$"
    )]
    pub workspace_id: String,
    /// Display name; `""` when unknown.
    #[schema(example = "Noto", max_length = 256)]
    pub name: String,
    /// Given name; `""` when unknown.
    #[schema(example = "Noto", max_length = 256)]
    pub first_name: String,
    /// Family name; `""` when unknown.
    #[schema(example = "Cat", max_length = 256)]
    pub last_name: String,
    /// As given, trimmed.
    #[schema(example = "noto@example.com")]
    pub email: String,
    /// Whether the contact receives the newsletter.
    pub subscribed: bool,
    /// The token of the contact's unsubscribe link.
    #[schema(example = "DwVf3KDpCeLqQTWADxulW", pattern = "^[A-Za-z0-9_-]{21}$")]
    pub unsub_token: String,
    /// Free-form fields: strings, numbers and booleans.
    #[schema(value_type = Object, example = json!({"plan": "pro", "signup_date": "2024-05-01"}))]
    pub custom_fields: Map<String, Value>,
    /// RFC 3339, UTC, milliseconds.
    #[serde(rename = "createdAt")]
    #[schema(value_type = String, format = DateTime, example = "2023-04-25T14:34:03.000Z")]
    pub created_at: Timestamp,
    /// RFC 3339, UTC, milliseconds; unchanged by a write that changes nothing.
    #[serde(rename = "updatedAt")]
    #[schema(value_type = String, format = DateTime, example = "2023-04-25T15:30:28.512Z")]
    pub updated_at: Timestamp,
}

impl From<Contact> for ContactBody {
    fn from(c: Contact) -> ContactBody {
        ContactBody {
            id: c.id.as_str().to_owned(),
            workspace_id: c.workspace_id.as_str().to_owned(),
            name: c.name,
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email.into_string(),
            subscribed: c.subscribed,
            unsub_token: c.unsub_token.as_str().to_owned(),
            custom_fields: c.custom_fields.as_map().clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A write to one contact: the PUT body, and each item of a bulk request.
/// Unknown fields and the read-only ones are ignored. The published schema is the more
/// precise hand-written one in `http/openapi/schemas.rs`, which replaces this one.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // documents the body in OpenAPI; the body is read by domain::patch_input
pub struct ContactWrite {
    /// Bulk only: update this contact (of the request's workspace); ignored on PUT.
    #[schema(example = "con_D6zCfeVDaAAT-b9dl9SIE")]
    id: Option<String>,
    /// Required on PUT; in bulk, required unless `id` is given.
    #[schema(example = "noto@example.com", max_length = 254)]
    email: Option<String>,
    /// Set when given; `null` clears to `""`.
    #[schema(max_length = 256, nullable)]
    name: Option<String>,
    /// Set when given; `null` clears to `""`.
    #[schema(max_length = 256, nullable)]
    first_name: Option<String>,
    /// Set when given; `null` clears to `""`.
    #[schema(max_length = 256, nullable)]
    last_name: Option<String>,
    /// Set when given; left out, it keeps its value (a new contact starts subscribed).
    subscribed: Option<bool>,
    /// Extension: `true` lets the write subscribe a suppressed address (or bring back an
    /// erased one) and lifts its suppression; without it such a write is `409 suppressed`.
    override_suppression: Option<bool>,
    /// An object, `[{"key": k, "value": v}]` or `[{k: v}]`; merged key by key, `null` removes a key.
    #[schema(value_type = Object, nullable)]
    custom_fields: Option<Value>,
}

/// `GET /v1/contacts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactList {
    /// This page, in `createdAt`, `id` order.
    pub data: Vec<ContactBody>,
    /// Every contact that matches the filters (with `after` too: the whole list's).
    pub total: u64,
    /// The page number; null on a keyset page (`after`), which has none.
    #[schema(required = true)]
    pub page: Option<u64>,
    /// `(page - 1) * limit`; null on a keyset page (`after`): its depth is not counted, as
    /// counting it would cost what the cursor saves.
    #[schema(required = true)]
    pub offset: Option<u64>,
    /// Extension, only on a keyset page (a request with `after`): the id of this page's last
    /// contact when more follow it (send it as `after` for the next page), else null.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, example = "con_0Yq3bH7a9xKcD4eFgHiJkLm")]
    pub next_after: Option<Option<String>>,
}

/// `DELETE /v1/contacts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactsRemoved {
    /// How many contacts were deleted.
    pub contacts_removed: u64,
}
