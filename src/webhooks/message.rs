//! One message as it goes out: its `webhook-id`, type and body, and the Standard Webhooks
//! headers signed at the moment of each attempt.

use crate::domain::events::StoredEvent;
use crate::domain::timestamp::Timestamp;
use crate::domain::webhook_payload::{ContactNow, contact_after, event_message, test_message};
use crate::domain::webhook_signature::signature_header;
use crate::domain::webhooks::{TEST_EVENT_TYPE, WebhookEndpoint, event_type};
use crate::http::api::contact_json::ContactBody;
use crate::store::{MessageSource, ServerStore, StoreError};
use bytes::Bytes;
use serde_json::Value;

/// Most later events of one contact read to rebuild its state at an event.
const HISTORY_LIMIT: u32 = 1000;

/// A message ready to sign and send.
#[derive(Debug, Clone)]
pub struct Message {
    /// `webhook-id`: the event's id (its feed cursor), the same on every retry and replay.
    pub id: String,
    /// The body's `type`.
    pub event_type: String,
    /// The feed event, for a feed message.
    pub event: Option<(i64, Timestamp)>,
    /// The body, serialised once so every attempt (and every endpoint) sends the same bytes.
    pub body: Bytes,
}

/// The message for a feed event: the contact as it was right after the change (for a
/// deletion, right before it).
pub async fn for_event(
    store: &dyn ServerStore,
    event: &StoredEvent,
) -> Result<Message, StoreError> {
    let mut built = for_events(store, std::slice::from_ref(event)).await?;
    built
        .pop()
        .ok_or_else(|| StoreError::Internal("no message built".to_owned()))
}

/// The messages of several feed events, in order, from one read of what they are rebuilt
/// from (`WebhookStore::message_sources`).
pub async fn for_events(
    store: &dyn ServerStore,
    events: &[StoredEvent],
) -> Result<Vec<Message>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let sources = store.message_sources(events, HISTORY_LIMIT).await?;
    Ok(events
        .iter()
        .zip(sources)
        .map(|(event, source)| build(event, source))
        .collect())
}

fn build(event: &StoredEvent, source: MessageSource) -> Message {
    let exists = source
        .contact
        .and_then(|c| match serde_json::to_value(ContactBody::from(c)) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        });
    let now = match exists {
        Some(map) => ContactNow::Exists(map),
        None => ContactNow::Deleted(source.deleted),
    };
    let contact = contact_after(event, now, &source.later);
    Message {
        id: event.seq.to_string(),
        event_type: event_type(event.event.kind),
        event: Some((event.seq, event.created_at)),
        body: Bytes::from(event_message(event, contact).to_string()),
    }
}

/// A `webhook.test` message.
pub fn test(endpoint: &WebhookEndpoint, message_id: String, at: Timestamp) -> Message {
    let body = test_message(endpoint.workspace_id.as_str(), endpoint.id.as_str(), at);
    Message {
        id: message_id,
        event_type: TEST_EVENT_TYPE.to_owned(),
        event: None,
        body: Bytes::from(body.to_string()),
    }
}

/// `webhook-id`, `webhook-timestamp` and `webhook-signature` for an attempt at `now`.
pub fn headers(
    endpoint: &WebhookEndpoint,
    message: &Message,
    now: Timestamp,
) -> Vec<(&'static str, String)> {
    let seconds = now.unix_seconds();
    let signature = signature_header(
        &endpoint.signing_secrets(now),
        &message.id,
        seconds,
        &message.body,
    );
    vec![
        ("webhook-id", message.id.clone()),
        ("webhook-timestamp", seconds.to_string()),
        ("webhook-signature", signature),
    ]
}
