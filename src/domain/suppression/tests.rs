use super::*;
use crate::domain::contact::ContactPatch;
use crate::domain::email::EmailAddress;

fn workspace() -> WorkspaceId {
    WorkspaceId::from_stored(format!("wks_{}", "a".repeat(21)))
}

fn contact(email: &str, subscribed: bool) -> Contact {
    let patch = ContactPatch {
        subscribed: Some(subscribed),
        ..ContactPatch::default()
    };
    let email = EmailAddress::parse(email).expect("valid email");
    Contact::create(workspace(), email, &patch, Timestamp::from_millis(1)).expect("contact")
}

fn suppression(reason: SuppressionReason) -> Suppression {
    Suppression {
        id: suppression_id(b"salt", &workspace(), "a@example.com"),
        workspace_id: workspace(),
        email: Some("a@example.com".into()),
        reason,
        at: Timestamp::from_millis(1),
        actor: Actor::Cli,
    }
}

#[test]
fn reasons_read_back_from_their_names() {
    for r in ["bounced", "complained", "erased", "manual"] {
        assert_eq!(SuppressionReason::parse(r).map(|r| r.as_str()), Some(r));
    }
    assert_eq!(SuppressionReason::parse("Bounced"), None);
}

#[test]
fn no_suppression_admits_everything() {
    let after = contact("a@example.com", true);
    assert_eq!(admit_write(None, &after, None, false), Ok(false));
}

#[test]
fn a_suppressed_address_cannot_be_subscribed_without_the_override() {
    for reason in [
        SuppressionReason::Bounced,
        SuppressionReason::Complained,
        SuppressionReason::Manual,
        SuppressionReason::Erased,
    ] {
        let s = suppression(reason);
        let before = contact("a@example.com", false);
        let after = contact("a@example.com", true);
        assert_eq!(
            admit_write(Some(&before), &after, Some(&s), false),
            Err(Suppressed(reason))
        );
        assert_eq!(
            admit_write(None, &after, Some(&s), false),
            Err(Suppressed(reason))
        );
        assert_eq!(admit_write(Some(&before), &after, Some(&s), true), Ok(true));
    }
}

#[test]
fn a_write_that_does_not_subscribe_keeps_the_suppression() {
    let s = suppression(SuppressionReason::Bounced);
    let before = contact("a@example.com", false);
    let mut after = before.clone();
    after.name = "New".into();
    assert_eq!(
        admit_write(Some(&before), &after, Some(&s), false),
        Ok(false)
    );
    let unsubscribed = contact("a@example.com", false);
    assert_eq!(admit_write(None, &unsubscribed, Some(&s), false), Ok(false));
}

#[test]
fn an_erased_address_cannot_come_back_even_unsubscribed() {
    let s = suppression(SuppressionReason::Erased);
    let created = contact("a@example.com", false);
    assert_eq!(
        admit_write(None, &created, Some(&s), false),
        Err(Suppressed(SuppressionReason::Erased))
    );
    let other = contact("b@example.com", false);
    assert_eq!(
        admit_write(Some(&other), &created, Some(&s), false),
        Err(Suppressed(SuppressionReason::Erased))
    );
    assert_eq!(admit_write(None, &created, Some(&s), true), Ok(true));
}

#[test]
fn a_write_that_could_not_be_refused_is_admitted_under_every_suppression() {
    let reasons = [
        SuppressionReason::Bounced,
        SuppressionReason::Complained,
        SuppressionReason::Manual,
        SuppressionReason::Erased,
    ];
    let contacts = [
        contact("a@example.com", false),
        contact("a@example.com", true),
        contact("b@example.com", false),
        contact("b@example.com", true),
    ];
    let mut refusable = 0;
    for after in &contacts {
        let befores = std::iter::once(None).chain(contacts.iter().map(Some));
        for before in befores {
            if could_refuse(before, after) {
                refusable += 1;
                continue;
            }
            for reason in reasons {
                for override_given in [false, true] {
                    let s = suppression(reason);
                    assert_eq!(
                        admit_write(before, after, Some(&s), override_given),
                        Ok(false),
                        "{before:?} -> {after:?} under {reason:?}"
                    );
                }
            }
        }
    }
    // New contacts (4), address changes (8) and subscriptions at the same address (2).
    assert_eq!(refusable, 14);
}

#[test]
fn a_lift_is_made_only_when_the_override_lifts_a_suppression() {
    let before = contact("a@example.com", false);
    let after = contact("a@example.com", true);
    let s = suppression(SuppressionReason::Bounced);
    let lift = lift_for(Some(&before), &after, Some(s.clone()), true).expect("admitted");
    assert_eq!(
        lift,
        Some(Lift {
            contact_id: after.id.clone(),
            suppression: s.clone(),
        })
    );
    assert_eq!(
        lift_for(Some(&before), &after, Some(s.clone()), false),
        Err(Suppressed(SuppressionReason::Bounced))
    );
    assert_eq!(lift_for(Some(&before), &after, None, true), Ok(None));
    let renamed = Contact {
        name: "New".into(),
        ..before.clone()
    };
    assert_eq!(lift_for(Some(&before), &renamed, Some(s), true), Ok(None));
}

#[test]
fn ids_are_keyed_hashes_of_workspace_and_address() {
    let a = suppression_id(b"salt", &workspace(), "a@example.com");
    assert!(is_suppression_id(&a));
    assert_eq!(a, suppression_id(b"salt", &workspace(), "a@example.com"));
    assert_ne!(a, suppression_id(b"other", &workspace(), "a@example.com"));
    let other = WorkspaceId::from_stored(format!("wks_{}", "b".repeat(21)));
    assert_ne!(a, suppression_id(b"salt", &other, "a@example.com"));
    assert!(!a.contains("example"));
    assert_eq!(new_salt().len(), 32);
    assert_ne!(new_salt(), new_salt());
}

#[test]
fn suppression_events_name_the_reason_and_the_unsubscribe() {
    let c = contact("a@example.com", true);
    let e = suppression_event(
        &workspace(),
        &c.id,
        None,
        Some(SuppressionReason::Bounced),
        Some((true, false)),
    );
    assert_eq!(e.kind, EventKind::Suppressed);
    assert_eq!(
        Value::Object(e.changes),
        json!({"subscribed": {"old": true, "new": false}, "suppression": {"old": null, "new": "bounced"}})
    );
    let lifted = suppression_event(
        &workspace(),
        &c.id,
        Some(SuppressionReason::Manual),
        None,
        None,
    );
    assert_eq!(lifted.kind, EventKind::Unsuppressed);
    let erased = suppression_event(
        &workspace(),
        &c.id,
        None,
        Some(SuppressionReason::Erased),
        Some((false, false)),
    );
    assert_eq!(erased.kind, EventKind::Erased);
    assert_eq!(erased.changes.len(), 1);
}

#[test]
fn scrubbing_keeps_only_what_is_not_personal() {
    let changes = json!({
        "name": {"old": null, "new": "A"}, "email": {"old": null, "new": "A@example.com"},
        "subscribed": {"old": null, "new": true}, "custom_fields": {"old": null, "new": {}}
    });
    let Value::Object(changes) = changes else {
        unreachable!()
    };
    assert!(mentions_email(&changes, "a@example.com"));
    assert!(!mentions_email(&changes, "b@example.com"));
    let kept = scrubbed(&changes);
    assert_eq!(
        Value::Object(kept),
        json!({"subscribed": {"old": null, "new": true}})
    );
    assert_eq!(local_part("a.b@example.com"), "a.b");
}
