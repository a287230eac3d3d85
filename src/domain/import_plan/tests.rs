use super::*;
use crate::domain::email::EmailAddress;

fn ws() -> WorkspaceId {
    WorkspaceId::from_stored("wks_aaaaaaaaaaaaaaaaaaaaa".into())
}

fn item(email: &str, subscribed: Option<bool>) -> ImportItem {
    ImportItem {
        patch: ContactPatch {
            email: Some(EmailAddress::parse(email).expect("email")),
            subscribed,
            ..ContactPatch::default()
        },
        id: None,
        unsub_token: None,
        created_at: None,
        suppress: None,
    }
}

fn stored(email: &str, subscribed: bool) -> Contact {
    let patch = ContactPatch {
        subscribed: Some(subscribed),
        ..ContactPatch::default()
    };
    let email = EmailAddress::parse(email).expect("email");
    Contact::create(ws(), email, &patch, Timestamp::from_millis(1)).expect("contact")
}

const NOW: Timestamp = Timestamp::from_millis(1_000);

#[test]
fn an_unsubscribed_contact_stays_unsubscribed_unless_resubscribe() {
    let existing = vec![stored("out@x.io", false), stored("in@x.io", true)];
    let items = [
        item("out@x.io", Some(true)),
        item("in@x.io", Some(true)),
        item("new@x.io", Some(false)),
        item("new@x.io", Some(true)),
    ];
    let kept = plan_import(&ws(), existing.clone(), &items, NOW, false).expect("plan");
    assert_eq!(kept.kept_unsubscribed, [0, 3]);
    assert_eq!(kept.plan.counts(), (1, 0, 3));
    assert!(kept.plan.creates.iter().all(|c| !c.subscribed));
    let again = plan_import(&ws(), existing, &items, NOW, true).expect("plan");
    assert!(again.kept_unsubscribed.is_empty());
    assert_eq!(again.plan.counts(), (1, 2, 1));
    assert!(again.plan.updates.iter().all(|(_, after)| after.subscribed));
}

#[test]
fn a_created_contact_takes_the_rows_id_token_and_past_sign_up_time() {
    let mut row = item("a@x.io", None);
    let id = ContactId::parse("con_D6zCfeVDaAAT-b9dl9SIE").expect("id");
    let token = UnsubToken::parse("DwVf3KDpCeLqQTWADxulW").expect("token");
    row.id = Some(id.clone());
    row.unsub_token = Some(token.clone());
    row.created_at = Some(Timestamp::from_millis(5));
    let mut future = item("b@x.io", None);
    future.created_at = Some(Timestamp::from_millis(9_999));
    let plan = plan_import(&ws(), vec![], &[row.clone(), future], NOW, false).expect("plan");
    let [a, b] = plan.plan.creates.as_slice() else {
        panic!("two creates");
    };
    assert_eq!(
        (&a.id, &a.unsub_token, a.created_at),
        (&id, &token, Timestamp::from_millis(5))
    );
    assert_eq!((b.created_at, b.updated_at), (NOW, NOW));

    // Matched by id: the stored contact keeps its own createdAt and token.
    let mut existing = plan.plan.creates[0].clone();
    existing.unsub_token = UnsubToken::generate();
    row.patch.email = Some(EmailAddress::parse("renamed@x.io").expect("email"));
    let again = plan_import(&ws(), vec![existing.clone()], &[row], NOW, false).expect("plan");
    let (_, after) = &again.plan.updates[0];
    assert_eq!(after.email.as_str(), "renamed@x.io");
    assert_eq!(
        (after.created_at, &after.unsub_token),
        (existing.created_at, &existing.unsub_token)
    );
}

#[test]
fn an_id_or_token_held_elsewhere_fails_the_row() {
    let mut elsewhere = stored("other@x.io", true);
    elsewhere.workspace_id = WorkspaceId::generate();
    let mut by_id = item("a@x.io", None);
    by_id.id = Some(elsewhere.id.clone());
    let mut by_token = item("b@x.io", None);
    by_token.unsub_token = Some(elsewhere.unsub_token.clone());
    let errors =
        plan_import(&ws(), vec![elsewhere], &[by_id, by_token], NOW, false).expect_err("taken");
    let fields: Vec<(usize, &str)> = errors
        .iter()
        .map(|e| (e.index, e.error.field.as_str()))
        .collect();
    assert_eq!(fields, [(0, "id"), (1, "unsub_token")]);
}

fn suppressed(email: &str, reason: SuppressionReason) -> SuppressionsByEmail {
    let suppression = crate::domain::suppression::Suppression {
        id: "0".repeat(64),
        workspace_id: ws(),
        email: Some(email.to_owned()),
        reason,
        at: Timestamp::from_millis(1),
        actor: crate::domain::events::Actor::Cli,
    };
    SuppressionsByEmail::from([(email.to_owned(), suppression)])
}

#[test]
fn a_suppressed_address_is_never_subscribed_by_a_row_without_the_override() {
    let existing = vec![stored("out@x.io", false)];
    let rows = [item("out@x.io", Some(true))];
    let bounced = suppressed("out@x.io", SuppressionReason::Bounced);
    let plan = plan_import_with(
        &ws(),
        existing.clone(),
        bounced.clone(),
        &rows,
        NOW,
        true,
        false,
    )
    .expect("plan");
    assert_eq!(plan.kept_suppressed, [0]);
    assert!(plan.kept_unsubscribed.is_empty());
    assert!(plan.plan.updates.is_empty());

    let lifted = plan_import_with(&ws(), existing, bounced, &rows, NOW, true, true).expect("plan");
    assert!(lifted.kept_suppressed.is_empty());
    assert_eq!(lifted.plan.lifts.len(), 1);
    assert!(lifted.plan.updates[0].1.subscribed);

    let new = [item("new@x.io", None)];
    let manual = suppressed("new@x.io", SuppressionReason::Manual);
    let plan = plan_import_with(&ws(), vec![], manual, &new, NOW, false, false).expect("plan");
    assert_eq!(plan.kept_suppressed, [0]);
    assert!(!plan.plan.creates[0].subscribed);

    let erased = suppressed("new@x.io", SuppressionReason::Erased);
    let plan = plan_import_with(&ws(), vec![], erased, &new, NOW, false, false).expect("plan");
    assert_eq!(plan.kept_suppressed, [0]);
    assert!(plan.plan.creates.is_empty() && plan.plan.results.is_empty());
}

#[test]
fn a_row_of_a_bounced_member_asks_for_a_suppression() {
    let mut row = item("gone@x.io", Some(false));
    row.suppress = Some(SuppressionReason::Bounced);
    let plan = plan_import(&ws(), vec![], &[row], NOW, false).expect("plan");
    assert_eq!(plan.suppress.len(), 1);
    assert_eq!(plan.suppress[0].1, SuppressionReason::Bounced);
}
