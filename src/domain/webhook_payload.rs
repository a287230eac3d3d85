//! The body of a webhook message (api.md §6): `{"type", "timestamp", "data": {"event_id",
//! "newsletter_id", "contact", "changes", "actor", "source", "evidence"}}` (the last two
//! as `GET /v1/events` shows them: docs/consent.md#evidence), plus `"confirmation"` in
//! `data` for the double opt-in events (`domain::confirmation`).
//!
//! The feed stores what changed, not the whole contact, so `contact` (its state right
//! after the change; for a deletion, its last state) is rebuilt: from the contact as it is
//! now, undoing every later change of it; a contact deleted since starts from its
//! deletion's last values. The fields the feed does not carry (`unsub_token`, `createdAt`)
//! come from the contact as it is now, or for a contact deleted since from what its
//! deletion kept ([`DeletedContact`]); a contact deleted before purrlist kept that (or
//! whose kept values were pruned with its events) gets `unsub_token` `""` and `createdAt`
//! the time of the event. `updatedAt` is the event's time, except for a deletion: the
//! contact's last `updatedAt`. docs/webhooks.md says the same.

use super::confirmation::{DETAILS_KEY, split_details};
use super::events::{Actor, EventKind, StoredEvent};
use super::timestamp::Timestamp;
use super::webhooks::{TEST_EVENT_TYPE, event_type};
use serde_json::{Map, Value, json};

/// What a deletion keeps of a contact beyond its `deleted` event (whose changes hold the
/// other fields), written in the deletion's transaction so later messages can show it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeletedContact {
    /// Its unsubscribe token.
    pub unsub_token: String,
    /// Its `createdAt`.
    pub created_at: Timestamp,
    /// Its last `updatedAt`, before the deletion.
    pub updated_at: Timestamp,
}

/// The contact as it is now, as far as a message needs it.
#[derive(Debug, Clone, PartialEq)]
pub enum ContactNow {
    /// It exists: its contact object.
    Exists(Map<String, Value>),
    /// It was deleted: what the deletion kept (`None`: nothing, see the module comment).
    Deleted(Option<DeletedContact>),
}

/// The contact as it was right after `event` (for a deletion, right before it): `now` is
/// the contact as it is now, `later` its events after this one, oldest first.
pub fn contact_after(
    event: &StoredEvent,
    now: ContactNow,
    later: &[StoredEvent],
) -> Map<String, Value> {
    let (mut contact, kept) = match now {
        ContactNow::Exists(map) => (map, None),
        ContactNow::Deleted(kept) => (skeleton(event, kept.as_ref()), Some(kept)),
    };
    let exists = kept.is_none();
    let changed = |e: &StoredEvent, side: &str, contact: &mut Map<String, Value>| {
        // Only the contact's own fields: `suppression` changes are not part of the object.
        for (field, change) in e.event.changes.iter().filter(|(f, _)| *f != "suppression") {
            if let Some(value) = change.get(side) {
                contact.insert(field.clone(), value.clone());
            }
        }
    };
    match event.event.kind {
        EventKind::Created => changed(event, "new", &mut contact),
        EventKind::Deleted => changed(event, "old", &mut contact),
        _ => {
            if !exists && let Some(deletion) = later.iter().rfind(|e| is_deletion(e)) {
                changed(deletion, "old", &mut contact);
            }
            for e in later.iter().rev().filter(|e| !is_deletion(e)) {
                changed(e, "old", &mut contact);
            }
        }
    }
    let last_update = match (&kept, event.event.kind) {
        (Some(Some(k)), EventKind::Deleted) => k.updated_at,
        _ => event.created_at,
    };
    contact.insert("updatedAt".into(), Value::String(last_update.to_rfc3339()));
    contact
}

fn is_deletion(e: &StoredEvent) -> bool {
    matches!(e.event.kind, EventKind::Deleted | EventKind::Erased)
}

/// A deleted contact's object before its fields are filled in from its events.
fn skeleton(event: &StoredEvent, kept: Option<&DeletedContact>) -> Map<String, Value> {
    let at = event.created_at.to_rfc3339();
    let created = kept.map_or(at.clone(), |k| k.created_at.to_rfc3339());
    let token = kept.map_or("", |k| k.unsub_token.as_str());
    let value = json!({
        "id": event.event.contact_id.as_str(),
        "workspace_id": event.event.workspace_id.as_str(),
        "name": "", "first_name": "", "last_name": "", "email": "",
        "subscribed": false, "unsub_token": token, "custom_fields": {},
        "createdAt": created, "updatedAt": at,
    });
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `{"type": "api_key", "id": …}`, `{"type": "unsubscribe_link"}`, `{"type": "cli"}`:
/// the actor as `GET /v1/events` shows it.
pub fn actor_json(actor: &Actor) -> Value {
    match actor.key_id() {
        Some(id) => json!({"type": actor.kind(), "id": id}),
        None => json!({"type": actor.kind()}),
    }
}

/// The body for a feed event, with the contact as [`contact_after`] gives it.
pub fn event_message(event: &StoredEvent, contact: Map<String, Value>) -> Value {
    let mut changes = event.event.changes.clone();
    let details = split_details(&mut changes);
    let mut message = json!({
        "type": event_type(event.event.kind),
        "timestamp": event.created_at.to_rfc3339(),
        "data": {
            "event_id": event.seq.to_string(),
            "newsletter_id": event.event.workspace_id.as_str(),
            "contact": contact,
            "changes": changes,
            "actor": actor_json(&event.actor),
            "source": event.evidence.source,
            "evidence": event.evidence.to_json(),
        }
    });
    // Double opt-in events carry their link and evidence beside the changes.
    if let Some(details) = details
        && let Some(data) = message.get_mut("data").and_then(Value::as_object_mut)
    {
        data.insert(DETAILS_KEY.to_owned(), details);
    }
    message
}

/// The body of a test message (`webhook.test`).
pub fn test_message(newsletter_id: &str, webhook_id: &str, at: Timestamp) -> Value {
    json!({
        "type": TEST_EVENT_TYPE,
        "timestamp": at.to_rfc3339(),
        "data": {"newsletter_id": newsletter_id, "webhook_id": webhook_id},
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::ContactEvent;
    use crate::domain::ids::{ContactId, WorkspaceId};

    fn event(seq: i64, kind: EventKind, changes: Value) -> StoredEvent {
        StoredEvent {
            seq,
            event: ContactEvent {
                kind,
                contact_id: ContactId::from_stored("con_x".into()),
                workspace_id: WorkspaceId::from_stored("wks_x".into()),
                changes: changes.as_object().cloned().unwrap_or_default(),
            },
            actor: Actor::Cli,
            evidence: crate::domain::evidence::Evidence::from_source("cli"),
            created_at: Timestamp::from_millis(seq * 1000),
        }
    }

    #[test]
    fn an_update_is_shown_with_later_changes_undone() {
        let update = event(
            2,
            EventKind::Updated,
            json!({"name": {"old": "A", "new": "B"}}),
        );
        let later = [event(
            3,
            EventKind::Updated,
            json!({"name": {"old": "B", "new": "C"}}),
        )];
        let mut now = skeleton(&update, None);
        now.insert("name".into(), json!("C"));
        now.insert("unsub_token".into(), json!("tok"));
        let c = contact_after(&update, ContactNow::Exists(now), &later);
        assert_eq!(c["name"], "B");
        assert_eq!(c["unsub_token"], "tok");
        assert_eq!(c["updatedAt"], Timestamp::from_millis(2000).to_rfc3339());
    }

    #[test]
    fn a_contact_deleted_since_starts_from_its_last_values() {
        let update = event(
            2,
            EventKind::Updated,
            json!({"email": {"old": "a@x.io", "new": "b@x.io"}}),
        );
        let later = [event(
            5,
            EventKind::Deleted,
            json!({"email": {"old": "b@x.io", "new": null}, "subscribed": {"old": true, "new": null}}),
        )];
        let c = contact_after(&update, ContactNow::Deleted(None), &later);
        assert_eq!(c["email"], "b@x.io");
        assert_eq!(c["subscribed"], true);
        assert_eq!(c["unsub_token"], "");
        let keys: Vec<&String> = c.keys().collect();
        assert_eq!(keys.first().map(|k| k.as_str()), Some("id"));
        assert_eq!(keys.last().map(|k| k.as_str()), Some("updatedAt"));
    }

    #[test]
    fn a_deletion_shows_the_last_state_with_what_the_deletion_kept() {
        let kept = DeletedContact {
            unsub_token: "tok".into(),
            created_at: Timestamp::from_millis(1000),
            updated_at: Timestamp::from_millis(3000),
        };
        let deletion = event(
            5,
            EventKind::Deleted,
            json!({"email": {"old": "b@x.io", "new": null}, "subscribed": {"old": true, "new": null}}),
        );
        let c = contact_after(&deletion, ContactNow::Deleted(Some(kept.clone())), &[]);
        assert_eq!(c["email"], "b@x.io");
        assert_eq!(c["unsub_token"], "tok");
        assert_eq!(c["createdAt"], Timestamp::from_millis(1000).to_rfc3339());
        assert_eq!(c["updatedAt"], Timestamp::from_millis(3000).to_rfc3339());
        let update = event(
            2,
            EventKind::Updated,
            json!({"name": {"old": "", "new": "B"}}),
        );
        let c = contact_after(&update, ContactNow::Deleted(Some(kept)), &[deletion]);
        assert_eq!(c["unsub_token"], "tok");
        assert_eq!(c["createdAt"], Timestamp::from_millis(1000).to_rfc3339());
        assert_eq!(c["updatedAt"], Timestamp::from_millis(2000).to_rfc3339());
    }
}
