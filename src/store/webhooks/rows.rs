//! The webhook tables' columns and their mapping to domain types, once for both backends:
//! each backend reads a row through [`StoredRow`] (by column position), so the column
//! lists and the conversions (JSON event types, millisecond times, the secret pair) cannot
//! drift between SQLite and PostgreSQL.

use super::{DeliveryRecord, OneOff};
use crate::domain::ids::{WebhookId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::{EndpointState, WebhookEndpoint, WebhookSecret};

/// The endpoint columns [`endpoint_from_row`] reads and [`endpoint_values`] gives, in order.
pub const ENDPOINT_COLUMNS: &str = "id, workspace_id, url, event_types, description, enabled, state, \
     secret, previous_secret, previous_until, created_at, updated_at, cursor, attempt, next_attempt_at";

/// The deliveries-log columns [`delivery_from_row`] reads, in order.
pub const DELIVERY_COLUMNS: &str = "id, message_id, event_seq, event_type, attempt, status_code, \
     error, duration_ms, created_at, response";

/// The one-off columns [`one_off_from_row`] reads, in order.
pub const ONE_OFF_COLUMNS: &str = "id, event_seq, message_id, created_at";

/// A stored row read by column position, whichever driver read it.
pub trait StoredRow {
    /// The driver's error.
    type Error;
    /// A text column.
    fn text(&self, i: usize) -> Result<String, Self::Error>;
    /// A nullable text column.
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error>;
    /// An integer column (any width).
    fn int(&self, i: usize) -> Result<i64, Self::Error>;
    /// A nullable integer column (any width).
    fn opt_int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
    /// A boolean column (SQLite: an integer).
    fn flag(&self, i: usize) -> Result<bool, Self::Error>;
}

/// `event_types` as stored: a JSON array, or NULL for every type.
pub fn types_json(types: &Option<Vec<String>>) -> Option<String> {
    types
        .as_ref()
        .map(|t| serde_json::Value::from(t.clone()).to_string())
}

fn count(n: i64) -> u32 {
    u32::try_from(n.max(0)).unwrap_or(u32::MAX)
}

/// An endpoint from a row selected with [`ENDPOINT_COLUMNS`].
pub fn endpoint_from_row<R: StoredRow>(r: &R) -> Result<WebhookEndpoint, R::Error> {
    let previous = r.opt_text(8)?.zip(r.opt_int(9)?);
    Ok(WebhookEndpoint {
        id: WebhookId::from_stored(r.text(0)?),
        workspace_id: WorkspaceId::from_stored(r.text(1)?),
        url: r.text(2)?,
        event_types: r.opt_text(3)?.and_then(|t| serde_json::from_str(&t).ok()),
        description: r.text(4)?,
        enabled: r.flag(5)?,
        state: EndpointState::parse(&r.text(6)?),
        secret: WebhookSecret::from_stored(r.text(7)?),
        previous_secret: previous
            .map(|(s, u)| (WebhookSecret::from_stored(s), Timestamp::from_millis(u))),
        created_at: Timestamp::from_millis(r.int(10)?),
        updated_at: Timestamp::from_millis(r.int(11)?),
        cursor: r.int(12)?,
        attempt: count(r.int(13)?),
        next_attempt_at: Timestamp::from_millis(r.int(14)?),
    })
}

/// The stored values of an endpoint, in [`ENDPOINT_COLUMNS`] order.
pub struct EndpointValues {
    /// `id`.
    pub id: String,
    /// `workspace_id`.
    pub workspace_id: String,
    /// `url`.
    pub url: String,
    /// `event_types`.
    pub event_types: Option<String>,
    /// `description`.
    pub description: String,
    /// `enabled`.
    pub enabled: bool,
    /// `state`.
    pub state: &'static str,
    /// `secret`.
    pub secret: String,
    /// `previous_secret`.
    pub previous_secret: Option<String>,
    /// `previous_until`.
    pub previous_until: Option<i64>,
    /// `created_at`.
    pub created_at: i64,
    /// `updated_at`.
    pub updated_at: i64,
    /// `cursor`.
    pub cursor: i64,
    /// `attempt`.
    pub attempt: i32,
    /// `next_attempt_at`.
    pub next_attempt_at: i64,
}

/// What an endpoint stores, column by column.
pub fn endpoint_values(e: &WebhookEndpoint) -> EndpointValues {
    EndpointValues {
        id: e.id.as_str().to_owned(),
        workspace_id: e.workspace_id.as_str().to_owned(),
        url: e.url.clone(),
        event_types: types_json(&e.event_types),
        description: e.description.clone(),
        enabled: e.enabled,
        state: e.state.as_str(),
        secret: e.secret.expose().to_owned(),
        previous_secret: e.previous_secret.as_ref().map(|p| p.0.expose().to_owned()),
        previous_until: e.previous_secret.as_ref().map(|p| p.1.millis()),
        created_at: e.created_at.millis(),
        updated_at: e.updated_at.millis(),
        cursor: e.cursor,
        attempt: i32::try_from(e.attempt).unwrap_or(i32::MAX),
        next_attempt_at: e.next_attempt_at.millis(),
    }
}

/// A log entry from a row selected with [`DELIVERY_COLUMNS`].
pub fn delivery_from_row<R: StoredRow>(r: &R) -> Result<DeliveryRecord, R::Error> {
    Ok(DeliveryRecord {
        id: r.int(0)?,
        message_id: r.text(1)?,
        event_seq: r.opt_int(2)?,
        event_type: r.text(3)?,
        attempt: count(r.int(4)?),
        status_code: r.opt_int(5)?.and_then(|s| u16::try_from(s).ok()),
        error: r.opt_text(6)?,
        duration_ms: r.int(7)?,
        created_at: Timestamp::from_millis(r.int(8)?),
        response: r.text(9)?,
    })
}

/// A queued one-off from a row selected with [`ONE_OFF_COLUMNS`].
pub fn one_off_from_row<R: StoredRow>(r: &R) -> Result<OneOff, R::Error> {
    Ok(OneOff {
        id: r.int(0)?,
        event_seq: r.opt_int(1)?,
        message_id: r.text(2)?,
        created_at: Timestamp::from_millis(r.int(3)?),
    })
}
