use super::*;
use crate::domain::email::EmailAddress;
use serde_json::json;

fn contact(subscribed: bool) -> Contact {
    let email = EmailAddress::parse("a@example.com").expect("email");
    Contact::create(
        WorkspaceId::generate(),
        email,
        &ContactPatch {
            subscribed: Some(subscribed),
            ..ContactPatch::default()
        },
        Timestamp::from_millis(1),
    )
    .expect("contact")
}

fn issued(plan: RequestPlan) -> PendingConfirmation {
    match plan {
        RequestPlan::Issue(p) => p,
        RequestPlan::AlreadySubscribed => panic!("expected a request"),
    }
}

#[test]
fn a_subscribed_contact_is_not_asked() {
    let c = contact(true);
    assert_eq!(
        plan_request(&c, None, Timestamp::from_millis(10), 100),
        RequestPlan::AlreadySubscribed
    );
}

#[test]
fn asking_again_keeps_the_token_and_moves_the_deadline() {
    let c = contact(false);
    let first = issued(plan_request(&c, None, Timestamp::from_millis(10), 100));
    assert_eq!(first.expires_at, Timestamp::from_millis(110));
    let again = issued(plan_request(
        &c,
        Some(&first),
        Timestamp::from_millis(50),
        100,
    ));
    assert_eq!(again.token, first.token);
    assert_eq!(again.expires_at, Timestamp::from_millis(150));
    // Once expired, a new token.
    let late = issued(plan_request(
        &c,
        Some(&first),
        Timestamp::from_millis(200),
        100,
    ));
    assert_ne!(late.token, first.token);
}

#[test]
fn confirming_subscribes_until_the_deadline_only() {
    let c = contact(false);
    let pending = issued(plan_request(&c, None, Timestamp::from_millis(10), 100));
    match plan_confirmation(&c, &pending, Timestamp::from_millis(20)).expect("plan") {
        ConfirmPlan::Confirm(next) => assert!(next.subscribed),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        plan_confirmation(&c, &pending, Timestamp::from_millis(110)).expect("plan"),
        ConfirmPlan::Unavailable
    );
    let subscribed = contact(true);
    let theirs = PendingConfirmation {
        contact_id: subscribed.id.clone(),
        ..pending.clone()
    };
    assert_eq!(
        plan_confirmation(&subscribed, &theirs, Timestamp::from_millis(20)).expect("plan"),
        ConfirmPlan::AlreadySubscribed
    );
    assert_eq!(
        plan_confirmation(&subscribed, &pending, Timestamp::from_millis(20)).expect("plan"),
        ConfirmPlan::Unavailable,
        "another contact's request confirms nothing"
    );
}

#[test]
fn events_carry_their_details_apart_from_field_changes() {
    let c = contact(false);
    let pending = issued(plan_request(&c, None, Timestamp::from_millis(10), 100));
    let evidence = RequestEvidence {
        source: "form".into(),
        ip: Some("192.0.2.1".into()),
        user_agent: None,
        page_url: Some("https://example.com/join".into()),
    };
    let mut event = requested_event(&pending, "https://l.example/c/x", &evidence);
    assert_eq!(event.kind, EventKind::ConfirmationRequested);
    let details = split_details(&mut event.changes).expect("details");
    assert!(event.changes.is_empty());
    assert_eq!(details["url"], json!("https://l.example/c/x"));
    assert_eq!(details["source"], json!("form"));
    assert_eq!(details["ip"], json!("192.0.2.1"));
    assert!(details.get("user_agent").is_none());

    let next = match plan_confirmation(&c, &pending, Timestamp::from_millis(20)).expect("plan") {
        ConfirmPlan::Confirm(next) => next,
        other => panic!("{other:?}"),
    };
    let mut confirmed = confirmed_event(
        &c,
        &next,
        &RequestEvidence::from_source("confirmation_link"),
    )
    .expect("event");
    assert_eq!(confirmed.kind, EventKind::Confirmed);
    assert!(split_details(&mut confirmed.changes).is_some());
    assert_eq!(
        Value::Object(confirmed.changes),
        json!({"subscribed": {"old": false, "new": true}})
    );
}

#[test]
fn a_contact_field_named_confirmation_is_never_taken_for_details() {
    let mut changes = Map::new();
    changes.insert(DETAILS_KEY.into(), json!({"old": null, "new": "x"}));
    assert_eq!(split_details(&mut changes), None);
    assert_eq!(changes.len(), 1);
}

#[test]
fn confirm_must_be_a_boolean() {
    let body = |v: Value| v.as_object().cloned().unwrap_or_default();
    assert_eq!(
        wants_confirmation(&body(json!({"confirm": true}))),
        Ok(true)
    );
    assert_eq!(wants_confirmation(&body(json!({}))), Ok(false));
    assert!(wants_confirmation(&body(json!({"confirm": "yes"}))).is_err());
}

#[test]
fn tokens_are_21_characters_and_parse_back() {
    let t = ConfirmationToken::generate();
    assert_eq!(t.as_str().len(), 21);
    assert_eq!(ConfirmationToken::parse(t.as_str()), Some(t));
    assert_eq!(ConfirmationToken::parse("short"), None);
    assert_eq!(ConfirmationToken::parse("abcdefghijklmnopqrst!"), None);
}

#[test]
fn webhook_bodies_carry_the_link_beside_the_changes() {
    use crate::domain::events::{Actor, StoredEvent};
    use crate::domain::webhook_payload::event_message;
    let types = crate::domain::webhooks::event_type_names();
    for kind in [
        "contact.confirmation_requested",
        "contact.confirmed",
        "contact.confirmation_expired",
    ] {
        assert!(types.iter().any(|t| t == kind), "{kind}");
    }
    let c = contact(false);
    let pending = issued(plan_request(&c, None, Timestamp::from_millis(10), 100));
    let event = requested_event(
        &pending,
        "https://l.example/c/x",
        &RequestEvidence::from_source("api"),
    );
    let stored = StoredEvent {
        seq: 7,
        event,
        actor: Actor::Cli,
        created_at: Timestamp::from_millis(10),
        evidence: crate::domain::evidence::Evidence::from_source("cli"),
    };
    let body = event_message(&stored, Map::new());
    assert_eq!(body["type"], json!("contact.confirmation_requested"));
    assert_eq!(body["data"]["changes"], json!({}));
    assert_eq!(
        body["data"]["confirmation"]["url"],
        json!("https://l.example/c/x")
    );
}
