//! The JSON shapes of `/v1/webhooks` and how their inputs are read (api.md §6).

use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::{MAX_DESCRIPTION_CHARS, WebhookEndpoint, event_type_names};
use crate::http::error::{ApiError, ErrorCode};
use crate::store::DeliveryRecord;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A webhook endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookBody {
    /// `whk_` + 21 characters.
    #[schema(
        example = "whk_Q2hlY2tUaGVGZWVkLnJz",
        pattern = "^whk_[A-Za-z0-9_-]{21}$"
    )]
    pub id: String,
    /// The workspace whose changes it receives.
    #[schema(example = "wks_Tj4fTx-GWT0kCkKc375tG")]
    pub newsletter_id: String,
    /// Where each event is posted.
    #[schema(example = "https://example.com/hooks/purrlist")]
    pub url: String,
    /// The event types it receives; `null`: every type, including types added later.
    #[schema(example = json!(["contact.created", "contact.unsubscribed"]))]
    pub events: Option<Vec<String>>,
    /// Free text.
    pub description: String,
    /// Whether delivery runs.
    pub enabled: bool,
    /// `active`; `failing` (retrying, or with `enabled: false` disabled after the retry
    /// schedule was spent); `disabled` (switched off).
    #[schema(example = "active")]
    pub state: &'static str,
    /// `whsec_` + base64: only in the answers to creation and rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: Option<String>,
    /// RFC 3339, UTC, milliseconds.
    #[serde(rename = "createdAt")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    /// RFC 3339, UTC, milliseconds.
    #[serde(rename = "updatedAt")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl WebhookBody {
    /// The endpoint without its secret.
    pub fn of(e: WebhookEndpoint) -> WebhookBody {
        WebhookBody {
            id: e.id.as_str().to_owned(),
            newsletter_id: e.workspace_id.as_str().to_owned(),
            url: e.url,
            events: e.event_types,
            description: e.description,
            enabled: e.enabled,
            state: e.state.as_str(),
            secret: None,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// The endpoints of a workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    /// Oldest first.
    pub data: Vec<WebhookBody>,
}

/// A new secret (rotation).
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretBody {
    /// `whsec_` + base64; the previous secret also signs for 24 hours.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// One attempt to deliver one message.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryBody {
    /// Position in the log; pass as `before` for older attempts.
    pub id: String,
    /// The `webhook-id` sent (the event's id; another id for a test).
    pub message_id: String,
    /// The feed event (`null` for a test).
    pub event_id: Option<String>,
    /// The message's type.
    #[serde(rename = "type")]
    pub event_type: String,
    /// 1 for the first attempt at this message.
    pub attempt: u32,
    /// The receiver's status, if it answered.
    pub status_code: Option<u16>,
    /// Why the attempt failed, if it did.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
    /// The first 1 KiB of the receiver's answer.
    pub response: String,
    /// When it started.
    #[serde(rename = "createdAt")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<DeliveryRecord> for DeliveryBody {
    fn from(d: DeliveryRecord) -> DeliveryBody {
        DeliveryBody {
            id: d.id.to_string(),
            message_id: d.message_id,
            event_id: d.event_seq.map(|s| s.to_string()),
            event_type: d.event_type,
            attempt: d.attempt,
            status_code: d.status_code,
            error: d.error,
            duration_ms: d.duration_ms,
            response: d.response,
            created_at: d.created_at,
        }
    }
}

/// A page of the deliveries log.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Newest first.
    pub data: Vec<DeliveryBody>,
}

/// What a replay or a test queued.
#[derive(Debug, Serialize, ToSchema)]
pub struct Queued {
    /// The `webhook-id` the message goes out with (for `after`: absent, every event keeps its own).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// For `after`: the cursor delivery now resumes after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, message).with_field(field)
}

/// `events`: absent or null is every type; else a non-empty array of known types.
pub fn read_events(value: Option<&Value>) -> Result<Option<Vec<String>>, ApiError> {
    let known = event_type_names();
    let list = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(_) => {
            return Err(invalid(
                "events",
                "`events` must be a non-empty array of event types, or null for every type.",
            ));
        }
    };
    let mut types = Vec::new();
    for item in list {
        match item.as_str() {
            Some(t) if known.iter().any(|k| k == t) => {
                if !types.iter().any(|x| x == t) {
                    types.push(t.to_owned());
                }
            }
            _ => {
                return Err(invalid(
                    "events",
                    format!("`events` may hold only these types: {}.", known.join(", ")),
                ));
            }
        }
    }
    Ok(Some(types))
}

/// `description`: a string of at most 512 characters (absent: `""`).
pub fn read_description(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match body.get("description") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(String::new())),
        Some(Value::String(s)) if s.chars().count() <= MAX_DESCRIPTION_CHARS => Ok(Some(s.clone())),
        Some(_) => Err(invalid(
            "description",
            "`description` must be a string of at most 512 characters.",
        )),
    }
}

/// A feed cursor given as a string of digits or a non-negative integer.
pub fn read_cursor(value: &Value, field: &str) -> Result<i64, ApiError> {
    let parsed = match value {
        Value::String(s) => s.parse::<i64>().ok(),
        // JSON does not tell 5 from 5.0; a whole number is a cursor either way.
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..1e18).contains(f))
                .map(|f| f as i64)
        }),
        _ => None,
    };
    parsed.filter(|n| *n >= 0).ok_or_else(|| {
        invalid(
            field,
            format!("`{field}` must be a feed cursor: an event `id` or `next_cursor` from GET /v1/events."),
        )
    })
}

/// `POST /v1/webhooks`'s body, as the OpenAPI document shows it (the handler reads and
/// checks it field by field; a schema cannot say "a public address", so a valid-looking
/// private or unresolvable `url` is still `400 invalid_field`).
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct WebhookCreate {
    /// The workspace (`wks_…`); may be left out when the key grants exactly one.
    newsletter_id: Option<String>,
    /// Where events are POSTed: an `http` or `https` URL of a public address.
    #[schema(pattern = "^https?://[^/?#@ ]+")]
    url: String,
    /// The event types to send (`contact.created`, …); left out or null: every type.
    events: Option<Vec<String>>,
    /// A note for people.
    description: Option<String>,
}
