use super::*;
use crate::domain::email::EmailAddress;
use proptest::prelude::*;
use serde_json::json;

fn ws() -> WorkspaceId {
    WorkspaceId::from_stored("wks_aaaaaaaaaaaaaaaaaaaaa".into())
}

fn item(v: Value) -> BulkItem {
    parse_bulk_item(&v).expect("valid item")
}

fn existing(email: &str) -> Contact {
    let e = EmailAddress::parse(email).expect("valid");
    Contact::create(ws(), e, &ContactPatch::default(), Timestamp::from_millis(1)).expect("valid")
}

#[test]
fn same_email_twice_is_one_contact_later_item_wins_field_by_field() {
    let items = [
        item(json!({"email": "a@x.io", "name": "A", "first_name": "F"})),
        item(json!({"email": "A@X.io", "name": "B"})),
    ];
    let plan = plan_bulk(&ws(), vec![], &items, Timestamp::from_millis(10)).expect("valid");
    assert_eq!(plan.creates.len(), 1);
    let c = &plan.creates[0];
    assert_eq!(
        (c.name.as_str(), c.first_name.as_str(), c.email.as_str()),
        ("B", "F", "A@X.io")
    );
    assert_eq!(c.version, 1);
    assert_eq!(plan.counts(), (1, 1, 0));
    assert_eq!(plan.results[0].id, plan.results[1].id);
}

#[test]
fn matches_existing_by_normalised_email_and_merges() {
    let mut old = existing("noto@example.com");
    old.subscribed = false;
    let items = [item(
        json!({"email": "NOTO@example.com", "last_name": "Cat"}),
    )];
    let plan =
        plan_bulk(&ws(), vec![old.clone()], &items, Timestamp::from_millis(10)).expect("valid");
    assert!(plan.creates.is_empty());
    let (before, after) = &plan.updates[0];
    assert_eq!(before, &old);
    assert!(
        !after.subscribed,
        "a left-out subscribed never re-subscribes"
    );
    assert_eq!(after.last_name, "Cat");
    assert_eq!(after.version, old.version + 1);
}

#[test]
fn unreadable_items_are_listed_with_items_that_fail_against_stored_contacts() {
    let bad = parse_bulk_item(&json!({"email": "nope"})).expect_err("invalid email");
    let items = [
        item(json!({"id": "con_AAAAAAAAAAAAAAAAAAAAA"})),
        BulkItem::invalid(bad.clone()),
        item(json!({"email": "ok@x.io"})),
    ];
    let errors = plan_bulk(&ws(), vec![], &items, Timestamp::from_millis(10)).expect_err("fails");
    let found: Vec<_> = errors.iter().map(|e| (e.index, e.error.kind)).collect();
    assert_eq!(
        found,
        [
            (0, FieldErrorKind::ContactNotFound),
            (1, FieldErrorKind::InvalidEmail)
        ]
    );
    assert_eq!(errors[1].error, bad);
}

#[test]
fn unknown_or_malformed_id_fails_all_with_every_index() {
    let items = [
        item(json!({"email": "ok@x.io"})),
        item(json!({"id": "con_aaaaaaaaaaaaaaaaaaaaa", "name": "x"})),
        item(json!({"id": "nope"})),
    ];
    let errors =
        plan_bulk(&ws(), vec![], &items, Timestamp::from_millis(10)).expect_err("must fail");
    let got: Vec<_> = errors.iter().map(|e| (e.index, e.error.kind)).collect();
    assert_eq!(
        got,
        vec![
            (1, FieldErrorKind::ContactNotFound),
            (2, FieldErrorKind::ContactNotFound)
        ]
    );
}

#[test]
fn contact_of_another_workspace_is_not_matched_by_id() {
    let mut other = existing("a@x.io");
    other.workspace_id = WorkspaceId::generate();
    let items = [item(json!({"id": other.id.as_str(), "name": "x"}))];
    let errors =
        plan_bulk(&ws(), vec![other], &items, Timestamp::from_millis(10)).expect_err("must fail");
    assert_eq!(errors[0].error.kind, FieldErrorKind::ContactNotFound);
}

#[test]
fn changing_email_to_one_held_by_another_contact_is_email_taken() {
    let a = existing("a@x.io");
    let b = existing("b@x.io");
    let items = [item(json!({"id": a.id.as_str(), "email": "B@x.io"}))];
    let errors =
        plan_bulk(&ws(), vec![a, b], &items, Timestamp::from_millis(10)).expect_err("must fail");
    assert_eq!(
        (errors[0].index, errors[0].error.kind),
        (0, FieldErrorKind::EmailTaken)
    );
}

#[test]
fn swapping_emails_in_order_is_allowed() {
    let a = existing("a@x.io");
    let b = existing("b@x.io");
    let items = [
        item(json!({"id": a.id.as_str(), "email": "c@x.io"})),
        item(json!({"id": b.id.as_str(), "email": "a@x.io"})),
    ];
    let plan = plan_bulk(&ws(), vec![a, b], &items, Timestamp::from_millis(10)).expect("valid");
    assert_eq!(plan.updates.len(), 2);
}

#[test]
fn no_change_is_unchanged_and_writes_nothing() {
    let a = existing("a@x.io");
    let items = [item(json!({"email": "a@x.io", "subscribed": true}))];
    let plan = plan_bulk(&ws(), vec![a], &items, Timestamp::from_millis(10)).expect("valid");
    assert!(plan.is_noop());
    assert_eq!(plan.counts(), (0, 0, 1));
}

#[test]
fn item_without_id_or_email_is_missing_field() {
    let err = parse_bulk_item(&json!({"name": "x"})).expect_err("must fail");
    assert_eq!(
        (err.field.as_str(), err.kind),
        ("email", FieldErrorKind::Missing)
    );
    assert!(parse_bulk_item(&json!([])).is_err());
}

proptest! {
    /// Whatever the items, a successful plan never leaves two contacts with one normalised email.
    #[test]
    fn plan_never_duplicates_an_email(emails in proptest::collection::vec("[abc]@x\\.io", 1..20), ids in proptest::collection::vec(0usize..3, 0..5)) {
        let olds: Vec<Contact> = ["a@x.io", "b@x.io"].iter().map(|e| existing(e)).collect();
        let mut items: Vec<BulkItem> = emails.iter().map(|e| item(json!({"email": e}))).collect();
        for (n, i) in ids.iter().enumerate() {
            if let Some(c) = olds.get(*i) {
                items.push(item(json!({"id": c.id.as_str(), "email": emails[n % emails.len()]})));
            }
        }
        if let Ok(plan) = plan_bulk(&ws(), olds.clone(), &items, Timestamp::from_millis(10)) {
            let mut finals: HashMap<ContactId, String> = olds.iter().map(|c| (c.id.clone(), c.email.normalized().to_owned())).collect();
            for c in &plan.creates { finals.insert(c.id.clone(), c.email.normalized().to_owned()); }
            for (_, c) in &plan.updates { finals.insert(c.id.clone(), c.email.normalized().to_owned()); }
            let mut seen: Vec<&String> = finals.values().collect();
            seen.sort();
            let before = seen.len();
            seen.dedup();
            prop_assert_eq!(before, seen.len());
            prop_assert_eq!(plan.results.len(), items.len());
        }
    }
}

#[test]
fn a_suppressed_item_is_left_out_alone_and_the_override_lifts() {
    use crate::domain::events::Actor;
    use crate::domain::suppression::{Suppression, SuppressionReason, SuppressionsByEmail};
    let mut out = existing("out@x.io");
    out.subscribed = false;
    let suppression = Suppression {
        id: "0".repeat(64),
        workspace_id: ws(),
        email: Some("out@x.io".into()),
        reason: SuppressionReason::Complained,
        at: Timestamp::from_millis(1),
        actor: Actor::Cli,
    };
    let suppressions = SuppressionsByEmail::from([("out@x.io".to_owned(), suppression)]);
    let items = [
        item(json!({"email": "out@x.io", "subscribed": true})),
        item(json!({"email": "in@x.io"})),
        item(json!({"email": "out@x.io", "name": "N"})),
    ];
    let plan = plan_bulk_with(
        &ws(),
        vec![out.clone()],
        suppressions.clone(),
        &items,
        Timestamp::from_millis(10),
    )
    .expect("valid");
    assert_eq!(plan.refused.len(), 1);
    assert_eq!(plan.refused[0].index, 0);
    assert_eq!(plan.refused[0].id.as_ref(), Some(&out.id));
    assert_eq!(plan.counts(), (1, 1, 0));
    assert!(plan.lifts.is_empty());
    assert!(!plan.updates[0].1.subscribed);

    let forced = [item(
        json!({"email": "out@x.io", "subscribed": true, "override_suppression": true}),
    )];
    let plan = plan_bulk_with(
        &ws(),
        vec![out],
        suppressions,
        &forced,
        Timestamp::from_millis(10),
    )
    .expect("valid");
    assert!(plan.refused.is_empty());
    assert_eq!(plan.lifts.len(), 1);
    assert!(plan.updates[0].1.subscribed);
}
