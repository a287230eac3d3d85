//! The change feed: what a write did to a contact, who did it, and the one rule that
//! turns a before/after pair into an event. Every backend records events through
//! [`event_for`], in the transaction of the write itself.

use super::contact::Contact;
use super::evidence::Evidence;
use super::ids::{ApiKeyId, ContactId, WorkspaceId};
use super::import_format::Format;
use super::timestamp::Timestamp;
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A request authenticated with this API key.
    ApiKey(ApiKeyId),
    /// A person using the contact's unsubscribe link.
    UnsubscribeLink,
    /// A command run on the server (`purrlist …`).
    Cli,
    /// An import (`purrlist import`, `POST /v1/imports`) of a file in this format.
    Import(Format),
    /// A sending service's report (a bounce or complaint from Postmark or SES); the
    /// event's evidence names which.
    Inbound,
    /// A person pressing the button of a confirmation link (double opt-in).
    ConfirmationLink,
    /// A public sign-up form, through the form key with this id (`pk_…`).
    Form(String),
    /// The server itself: an unconfirmed request reaching its deadline.
    Expiry,
    /// A person signed in to the dashboard (`/admin`) with this API key.
    Dashboard(ApiKeyId),
}

impl Actor {
    /// `api_key`, `unsubscribe_link`, `cli`, `import`, `inbound`, `confirmation_link`,
    /// `form`, `expiry` or `dashboard`, as shown.
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::ApiKey(_) => "api_key",
            Actor::UnsubscribeLink => "unsubscribe_link",
            Actor::Cli => "cli",
            Actor::Import(_) => "import",
            Actor::Inbound => "inbound",
            Actor::ConfirmationLink => "confirmation_link",
            Actor::Form(_) => "form",
            Actor::Expiry => "expiry",
            Actor::Dashboard(_) => "dashboard",
        }
    }

    /// The kind as stored: [`Actor::kind`], or `import:<format>` for an import.
    pub fn stored_kind(&self) -> Cow<'static, str> {
        match self.source() {
            Some(source) => Cow::Owned(source),
            None => Cow::Borrowed(self.kind()),
        }
    }

    /// Where the change came from, when the actor alone does not say it: `import:<format>`
    /// for an import.
    pub fn source(&self) -> Option<String> {
        match self {
            Actor::Import(format) => Some(format!("import:{}", format.name())),
            _ => None,
        }
    }

    /// The key id, for `api_key` and `dashboard` (and the form key, for `form`).
    pub fn key_id(&self) -> Option<&str> {
        match self {
            Actor::ApiKey(id) | Actor::Dashboard(id) => Some(id.as_str()),
            Actor::Form(id) => Some(id.as_str()),
            _ => None,
        }
    }

    /// An actor read back from storage; `None` for an unknown kind.
    pub fn from_stored(kind: &str, key_id: Option<String>) -> Option<Actor> {
        match (kind, key_id) {
            ("api_key", Some(id)) => Some(Actor::ApiKey(ApiKeyId::from_stored(id))),
            ("unsubscribe_link", _) => Some(Actor::UnsubscribeLink),
            ("cli", _) => Some(Actor::Cli),
            ("inbound", _) => Some(Actor::Inbound),
            ("confirmation_link", _) => Some(Actor::ConfirmationLink),
            ("form", Some(id)) => Some(Actor::Form(id)),
            ("expiry", _) => Some(Actor::Expiry),
            ("dashboard", Some(id)) => Some(Actor::Dashboard(ApiKeyId::from_stored(id))),
            (kind, _) => kind
                .strip_prefix("import:")
                .and_then(Format::from_name)
                .map(Actor::Import),
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
    /// A sending service reported a bounce or complaint that changed nothing (a soft
    /// bounce, or an address already unsubscribed); the evidence holds the report.
    Reported,
    /// Its address was suppressed (`domain::suppression`); it is unsubscribed.
    Suppressed,
    /// The suppression of its address was lifted.
    Unsuppressed,
    /// It was erased on request: deleted, its history stripped of personal data.
    Erased,
    /// It was asked to confirm its subscription (double opt-in); the link is in the event.
    ConfirmationRequested,
    /// The person confirmed: `subscribed` went from false to true through the link.
    Confirmed,
    /// A request to confirm passed its deadline unconfirmed.
    ConfirmationExpired,
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
            EventKind::Reported => "reported",
            EventKind::Suppressed => "suppressed",
            EventKind::Unsuppressed => "unsuppressed",
            EventKind::Erased => "erased",
            EventKind::ConfirmationRequested => "confirmation_requested",
            EventKind::Confirmed => "confirmed",
            EventKind::ConfirmationExpired => "confirmation_expired",
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
            EventKind::Reported,
            EventKind::Suppressed,
            EventKind::Unsuppressed,
            EventKind::Erased,
            EventKind::ConfirmationRequested,
            EventKind::Confirmed,
            EventKind::ConfirmationExpired,
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

impl ContactEvent {
    /// `changes` as the stores keep it: compact JSON, fields in order, serialised from the
    /// map in place (not copied into a `Value` first).
    pub fn changes_json(&self) -> String {
        // A map of strings to JSON values always serialises.
        serde_json::to_string(&self.changes).unwrap_or_default()
    }
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
    /// How it happened (`domain::evidence`).
    pub evidence: Evidence,
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
    // Each side's values are built once and moved into the event, not copied again.
    let mut old = before.map(|c| fields(c).into_iter());
    let mut new = after.map(|c| fields(c).into_iter());
    let mut changes = Map::new();
    loop {
        let o = old.as_mut().and_then(Iterator::next);
        let n = new.as_mut().and_then(Iterator::next);
        let Some(name) = o.as_ref().or(n.as_ref()).map(|(name, _)| *name) else {
            break;
        };
        let o = o.map_or(Value::Null, |(_, value)| value);
        let n = n.map_or(Value::Null, |(_, value)| value);
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
    fn changes_are_stored_as_compact_json_in_field_order() {
        let c = contact();
        let mut d = c.clone();
        d.name = "B \"quoted\"".into();
        d.subscribed = false;
        let e = event_for(Some(&c), Some(&d)).expect("event");
        assert_eq!(
            e.changes_json(),
            r#"{"name":{"old":"A","new":"B \"quoted\""},"subscribed":{"old":true,"new":false}}"#
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
