//! Which stored history belongs to an address, for an access request (api.md §8): a
//! contact's events are the address's when one of them set or left the address as the
//! contact's email.

use super::email::normal_form;
use super::events::StoredEvent;

/// Whether any of `events` records `email_norm` (a normal form, `domain::email`) as the
/// old or new `email` of its contact.
pub fn held_address(events: &[StoredEvent], email_norm: &str) -> bool {
    events.iter().any(|event| {
        event.event.changes.get("email").is_some_and(|change| {
            ["old", "new"].iter().any(|side| {
                change
                    .get(side)
                    .and_then(|v| v.as_str())
                    .is_some_and(|email| normal_form(email) == email_norm)
            })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::events::{Actor, ContactEvent, EventKind};
    use crate::domain::evidence::Evidence;
    use crate::domain::ids::{ContactId, WorkspaceId};
    use crate::domain::timestamp::Timestamp;
    use serde_json::json;

    fn event(changes: serde_json::Value) -> StoredEvent {
        StoredEvent {
            seq: 1,
            event: ContactEvent {
                kind: EventKind::Updated,
                contact_id: ContactId::from_stored("con_x".into()),
                workspace_id: WorkspaceId::from_stored("wks_x".into()),
                changes: changes.as_object().cloned().unwrap_or_default(),
            },
            actor: Actor::Cli,
            evidence: Evidence::from_source("cli"),
            created_at: Timestamp::from_millis(1),
        }
    }

    #[test]
    fn an_old_or_new_email_counts_a_mention_elsewhere_does_not() {
        let moved = event(json!({"email": {"old": "A@Example.com", "new": "b@example.com"}}));
        assert!(held_address(std::slice::from_ref(&moved), "a@example.com"));
        assert!(held_address(std::slice::from_ref(&moved), "b@example.com"));
        let elsewhere = event(json!({"name": {"old": "", "new": "a@example.com"}}));
        assert!(!held_address(&[elsewhere], "a@example.com"));
    }
}
