//! `GET /v1/events`: the change feed of a workspace, which is also its consent record.

use super::query::QueryParams;
use crate::domain::confirmation::split_details;
use crate::domain::events::StoredEvent;
use crate::domain::ids::ContactId;
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::error::{ApiError, ErrorBody};
use crate::http::middleware::auth::Caller;
use crate::store::EventQuery;
use axum::Json;
use axum::extract::{Extension, RawQuery, State};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Most events in one page.
pub const MAX_EVENTS: u64 = 1000;
/// Events in a page when `limit` is left out.
pub const DEFAULT_EVENTS: u64 = 100;

/// Who made a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActorBody {
    /// `api_key`, `unsubscribe_link`, `cli`, `import`, `inbound`, `confirmation_link`,
    /// `form`, `expiry` or `dashboard`.
    #[serde(rename = "type")]
    #[schema(example = "api_key")]
    pub kind: &'static str,
    /// The API key's id for `api_key` and `dashboard` (the key signed in with), the form
    /// key for `form`; left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "key_Q2hlY2tUaGVGZWVkLnJz")]
    pub id: Option<String>,
}

/// One change to one contact.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventBody {
    /// The event's cursor: pass it as `after` to read what came after it.
    #[schema(example = "1042")]
    pub id: String,
    /// `created`, `updated`, `unsubscribed`, `resubscribed` or `deleted`; `suppressed`,
    /// `unsuppressed` or `erased` (docs/consent.md); `reported` (a sending service's bounce
    /// or complaint that changed nothing); for double opt-in `confirmation_requested`,
    /// `confirmed`, `confirmation_expired`. A write that changes `subscribed` is
    /// `unsubscribed`/`resubscribed`, whatever else it changed.
    #[serde(rename = "type")]
    #[schema(example = "unsubscribed")]
    pub kind: &'static str,
    /// The contact.
    #[schema(example = "con_D6zCfeVDaAAT-b9dl9SIE")]
    pub contact_id: String,
    /// The workspace.
    #[schema(example = "wks_Tj4fTx-GWT0kCkKc375tG")]
    pub workspace_id: String,
    /// Every changed field: `{"field": {"old": …, "new": …}}`; `old` is null on creation,
    /// `new` is null on deletion; `custom_fields` changes as a whole object.
    #[schema(value_type = Object, example = json!({"subscribed": {"old": true, "new": false}}))]
    pub changes: Map<String, Value>,
    /// Who made the change.
    pub actor: ActorBody,
    /// For `confirmation_requested`, `confirmed` and `confirmation_expired`: `url` (the
    /// link to mail, `PUBLIC_URL/c/<token>`), `expires_at`, and the evidence (`source`:
    /// `api`, `bulk`, `form` or `confirmation_link`; `ip`, `user_agent`, `page_url` when
    /// known). Left out on other events.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>, example = json!({"url": "https://lists.example.com/c/Xk2mQ9rTb7LpZ0aW4eYcN", "expires_at": "2024-05-04T10:00:00.000Z", "source": "form", "ip": "192.0.2.7"}))]
    pub confirmation: Option<Value>,
    /// Where the change came from: `api`, `bulk`, `import:<format>` (e.g.
    /// `import:mailchimp`), `unsubscribe_link`, `cli`, `postmark`, `ses`, …
    #[schema(example = "bulk")]
    pub source: String,
    /// How it happened (docs/consent.md#evidence): `source`, the client's `ip` and
    /// `user_agent`, the `request_id`, the end user's `consent` an integrator forwarded
    /// (or null), and for a sending service's report its details as `provider`. Events
    /// stored before evidence was kept have only `source`, the rest null.
    #[schema(value_type = Object, example = json!({"source": "bulk", "ip": "203.0.113.7", "user_agent": "shop-sync/2.1", "request_id": "k3Jd8sPq0aLm2Zx9YwVbT", "consent": {"source": "signup-form", "ip": "198.51.100.23", "user_agent": "Mozilla/5.0", "at": "2024-05-01T09:59:58.000Z"}}))]
    pub evidence: Value,
    /// When it was committed (RFC 3339, UTC, milliseconds).
    #[serde(rename = "createdAt")]
    #[schema(value_type = String, format = DateTime, example = "2024-05-01T10:00:00.000Z")]
    pub created_at: Timestamp,
}

/// A page of the change feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// Events in commit order.
    pub data: Vec<EventBody>,
    /// Pass as `after` for the next page; when `data` is empty it is the `after` given,
    /// so a client can keep polling with it.
    #[schema(example = "1042")]
    pub next_cursor: String,
    /// Whether more events follow already.
    pub has_more: bool,
}

impl From<StoredEvent> for EventBody {
    fn from(e: StoredEvent) -> EventBody {
        let actor = ActorBody {
            kind: e.actor.kind(),
            id: e.actor.key_id().map(str::to_owned),
        };
        let mut changes = e.event.changes;
        let confirmation = split_details(&mut changes);
        EventBody {
            id: e.seq.to_string(),
            kind: e.event.kind.as_str(),
            contact_id: e.event.contact_id.as_str().to_owned(),
            workspace_id: e.event.workspace_id.as_str().to_owned(),
            changes,
            confirmation,
            source: e.evidence.source.clone(),
            evidence: e.evidence.to_json(),
            actor,
            created_at: e.created_at,
        }
    }
}

fn cursor(params: &QueryParams) -> Result<i64, ApiError> {
    match params.text("after").filter(|s| !s.is_empty()) {
        None => Ok(0),
        Some(raw) => raw.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            ApiError::bad_parameter(
                "after",
                "`after` must be a cursor from `next_cursor` or an event `id`.",
            )
        }),
    }
}

/// The change feed of a workspace, in commit order.
#[utoipa::path(
    get, path = "/v1/events", tag = "events",
    params(
        ("newsletter_id" = Option<String>, Query, description = "The workspace (`wks_…`); may be left out when the key grants exactly one."),
        ("after" = Option<String>, Query, pattern = "^[0-9]{0,18}$", description = "A cursor (`next_cursor`, or an event `id`); events after it. Left out or empty: from the oldest kept event."),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 1000, description = "Most events, default 100."),
        ("contact_id" = Option<String>, Query, description = "Only this contact's events: its history, and so its consent record. A contact id (`con_…`); another shape is `400`, an unknown id an empty page."),
    ),
    responses(
        (status = 200, description = "Events in commit order. Paging with `next_cursor` never skips or repeats one, even while others write.", body = EventPage),
        (status = 400, description = "A bad parameter, or `newsletter_id` missing with a key for several workspaces.", body = ErrorBody),
        (status = 401, description = "Missing, unknown or revoked key.", body = ErrorBody),
        (status = 403, description = "The key may not use this workspace, or it does not exist.", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_events(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    RawQuery(raw): RawQuery,
) -> Result<Json<EventPage>, ApiError> {
    let params = QueryParams::parse(raw.as_deref())?;
    let after = cursor(&params)?;
    let limit = params.integer("limit", 1, MAX_EVENTS, DEFAULT_EVENTS)?;
    let contact = match params.text("contact_id").filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => Some(ContactId::parse(raw).ok_or_else(|| {
            ApiError::bad_parameter("contact_id", "`contact_id` is not a contact id (`con_…`).")
        })?),
    };
    let workspace = caller
        .workspace(&state, params.text("newsletter_id"))
        .await?;
    let mut events = state
        .store
        .list_events(EventQuery {
            workspace,
            after,
            limit: limit as u32 + 1,
            contact,
        })
        .await?;
    let has_more = events.len() as u64 > limit;
    events.truncate(limit as usize);
    let next_cursor = events.last().map_or(after, |e| e.seq).to_string();
    Ok(Json(EventPage {
        data: events.into_iter().map(EventBody::from).collect(),
        next_cursor,
        has_more,
    }))
}
