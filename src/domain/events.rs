//! The change feed: what a write did to a contact, who did it, and the one rule that
//! turns a before/after pair into an event. Every backend records events through
//! [`event_for`], in the transaction of the write itself.

use super::contact::Contact;
use super::ids::{ApiKeyId, ContactId, WorkspaceId};
use super::timestamp::Timestamp;
use serde_json::{Map, Value};

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A request authenticated with this API key.
    ApiKey(ApiKeyId),
    /// A person using the contact's unsubscribe link.
    UnsubscribeLink,
    /// A command run on the server (`purrlist …`).
    Cli,
}

impl Actor {
    /// `api_key`, `unsubscribe_link` or `cli`, as stored and shown.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::ApiKey(_) => "api_key",
            Actor::UnsubscribeLink => "unsubscribe_link",
            Actor::Cli => "cli",
        }
    }

    /// The key id, for `api_key`.
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Actor::ApiKey(id) => Some(id.as_str()),
            _ => None,
        }
    }

    /// An actor read back from storage; `None` for an unknown kind.
    pub fn from_stored(kind: &str, key_id: Option<String>) -> Option<Actor> {
        match (kind, key_id) {
            ("api_key", Some(id)) => Some(Actor::ApiKey(ApiKeyId::from_stored(id))),
            ("unsubscribe_link", _) => Some(Actor::UnsubscribeLink),
            ("cli", _) => Some(Actor::Cli),
            _ => None,
        }
    }
}

/// What happened to a contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// It was made.
    Created,
    /// Some field other than `subscribed` changed.
    Updated,
    /// `subscribed` went from true to false (other fields may have changed too).
    Unsubscribed,
    /// `subscribed` went from false to true (other fields may have changed too).
    Resubscribed,
    /// It was deleted.
    Deleted,
}

impl EventKind {
    /// The name stored and shown as the event's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Updated => "updated",
            EventKind::Unsubscribed => "unsubscribed",
            EventKind::Resubscribed => "resubscribed",
            EventKind::Deleted => "deleted",
        }
    }

    /// The kind with this stored name.
    pub fn parse(name: &str) -> Option<EventKind> {
        [
            EventKind::Created,
            EventKind::Updated,
            EventKind::Unsubscribed,
            EventKind::Resubscribed,
            EventKind::Deleted,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// One change to a contact, before it is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactEvent {
    /// What happened.
    pub kind: EventKind,
    /// The contact.
    pub contact_id: ContactId,
    /// Its workspace (the feed is per workspace).
    pub workspace_id: WorkspaceId,
    /// Every changed field in the contact's field order: `{"field": {"old": …, "new": …}}`;
    /// `old` is null on creation, `new` is null on deletion.
    pub changes: Map<String, Value>,
}

/// A stored event, as the feed returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Position in the workspace's feed: increasing in commit order, never reused.
    pub seq: i64,
    /// The change.
    pub event: ContactEvent,
    /// Who made it.
    pub actor: Actor,
    /// When it was committed.
    pub created_at: Timestamp,
}

/// The fields an event compares, in the contact's field order.
fn fields(c: &Contact) -> [(&'static str, Value); 6] {
    [
        ("name", Value::from(c.name.as_str())),
        ("first_name", Value::from(c.first_name.as_str())),
        ("last_name", Value::from(c.last_name.as_str())),
        ("email", Value::from(c.email.as_str())),
        ("subscribed", Value::Bool(c.subscribed)),
        (
            "custom_fields",
            Value::Object(c.custom_fields.as_map().clone()),
        ),
    ]
}

fn change(old: Value, new: Value) -> Value {
    let mut pair = Map::new();
    pair.insert("old".to_owned(), old);
    pair.insert("new".to_owned(), new);
    Value::Object(pair)
}

/// The event a write makes: `before` is the contact before it (`None`: it was created),
/// `after` the contact after it (`None`: it was deleted). `None` when nothing changed, so
/// a no-op write leaves no trace in the feed.
pub fn event_for(before: Option<&Contact>, after: Option<&Contact>) -> Option<ContactEvent> {
    let (contact, kind) = match (before, after) {
        (None, None) => return None,
        (None, Some(a)) => (a, EventKind::Created),
        (Some(b), None) => (b, EventKind::Deleted),
        (Some(b), Some(a)) if b.subscribed && !a.subscribed => (a, EventKind::Unsubscribed),
        (Some(b), Some(a)) if !b.subscribed && a.subscribed => (a, EventKind::Resubscribed),
        (Some(_), Some(a)) => (a, EventKind::Updated),
    };
    let old = before.map(fields);
    let new = after.map(fields);
    let mut changes = Map::new();
    for i in 0..6 {
        let name = old.as_ref().or(new.as_ref()).map_or("", |f| f[i].0);
        let o = old.as_ref().map_or(Value::Null, |f| f[i].1.clone());
        let n = new.as_ref().map_or(Value::Null, |f| f[i].1.clone());
        if o != n {
            changes.insert(name.to_owned(), change(o, n));
        }
    }
    if changes.is_empty() {
        return None;
    }
    Some(ContactEvent {
        kind,
        contact_id: contact.id.clone(),
        workspace_id: contact.workspace_id.clone(),
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contact::ContactPatch;
    use crate::domain::email::EmailAddress;
    use serde_json::json;

    fn contact() -> Contact {
        let email = EmailAddress::parse("a@example.com").expect("email");
        Contact::create(
            WorkspaceId::generate(),
            email,
            &ContactPatch {
                name: Some("A".into()),
                ..ContactPatch::default()
            },
            Timestamp::from_millis(1),
        )
        .expect("contact")
    }

    #[test]
    fn creation_lists_every_field_with_null_old_values() {
        let c = contact();
        let e = event_for(None, Some(&c)).expect("event");
        assert_eq!(e.kind, EventKind::Created);
        assert_eq!(
            e.changes["email"],
            json!({"old": null, "new": "a@example.com"})
        );
        assert_eq!(e.changes["subscribed"], json!({"old": null, "new": true}));
        assert_eq!(e.changes.len(), 6);
    }

    #[test]
    fn deletion_lists_every_field_with_null_new_values() {
        let c = contact();
        let e = event_for(Some(&c), None).expect("event");
        assert_eq!(e.kind, EventKind::Deleted);
        assert_eq!(e.changes["name"], json!({"old": "A", "new": null}));
    }

    #[test]
    fn an_update_lists_only_changed_fields() {
        let c = contact();
        let mut d = c.clone();
        d.first_name = "F".into();
        let e = event_for(Some(&c), Some(&d)).expect("event");
        assert_eq!(e.kind, EventKind::Updated);
        assert_eq!(
            Value::Object(e.changes),
            json!({"first_name": {"old": "", "new": "F"}})
        );
    }

    #[test]
    fn a_subscription_change_names_the_event_and_keeps_other_changes() {
        let c = contact();
        let mut d = c.clone();
        d.subscribed = false;
        d.name = "B".into();
        let e = event_for(Some(&c), Some(&d)).expect("event");
        assert_eq!(e.kind, EventKind::Unsubscribed);
        assert_eq!(e.changes.len(), 2);
        let back = event_for(Some(&d), Some(&c)).expect("event");
        assert_eq!(back.kind, EventKind::Resubscribed);
    }

    #[test]
    fn nothing_changed_means_no_event() {
        let c = contact();
        let mut d = c.clone();
        d.version += 1;
        d.updated_at = Timestamp::from_millis(99);
        assert_eq!(event_for(Some(&c), Some(&d)), None);
        assert_eq!(event_for(None, None), None);
    }
}
