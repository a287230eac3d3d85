use super::*;
use crate::domain::email::EmailAddress;
use crate::domain::ids::WorkspaceId;
use proptest::prelude::*;

fn workspace(letter: char) -> WorkspaceId {
    WorkspaceId::from_stored(format!("wks_{}", letter.to_string().repeat(21)))
}

fn stored(email: &str, version: i64) -> Contact {
    let email = EmailAddress::parse(email).expect("valid email");
    let mut contact = Contact::create(
        workspace('a'),
        email,
        &ContactPatch::default(),
        Timestamp::from_millis(1),
    )
    .expect("valid contact");
    contact.version = version;
    contact
}

fn target(contact: &Contact, grant: WorkspaceGrant, precondition: Precondition) -> Target {
    Target {
        id: contact.id.clone(),
        grant,
        precondition,
    }
}

fn email_patch(email: &str) -> ContactPatch {
    ContactPatch {
        email: Some(EmailAddress::parse(email).expect("valid email")),
        ..ContactPatch::default()
    }
}

#[test]
fn a_contact_of_a_workspace_the_grant_lists_is_visible() {
    let contact = stored("noto@example.com", 1);
    let grant = WorkspaceGrant::Listed(vec![workspace('b'), workspace('a')]);
    assert_eq!(
        visible_to(&grant, Some(contact.clone())),
        Some(contact.clone())
    );
    assert_eq!(
        visible_to(&WorkspaceGrant::All, Some(contact.clone())),
        Some(contact)
    );
}

#[test]
fn a_contact_of_another_workspace_is_as_good_as_absent() {
    let contact = stored("noto@example.com", 1);
    let grant = WorkspaceGrant::Listed(vec![workspace('b')]);
    assert_eq!(visible_to(&grant, Some(contact.clone())), None);
    assert_eq!(
        target(&contact, grant, Precondition::Exists).admit(Some(contact)),
        Err(DomainError::ContactNotFound)
    );
}

#[test]
fn nothing_stored_is_not_found_whatever_the_precondition() {
    let contact = stored("noto@example.com", 1);
    for precondition in [
        Precondition::None,
        Precondition::Exists,
        Precondition::Versions(vec![1]),
    ] {
        let t = target(&contact, WorkspaceGrant::All, precondition);
        assert_eq!(t.admit(None), Err(DomainError::ContactNotFound));
    }
}

#[test]
fn an_unlisted_workspace_wins_over_a_failing_precondition() {
    // A key that may not see the contact learns nothing about its version.
    let contact = stored("noto@example.com", 3);
    let grant = WorkspaceGrant::Listed(vec![]);
    let t = target(&contact, grant, Precondition::Versions(vec![1]));
    assert_eq!(t.admit(Some(contact)), Err(DomainError::ContactNotFound));
}

#[test]
fn if_match_admits_only_a_listed_version() {
    let contact = stored("noto@example.com", 3);
    let at = |versions: Vec<i64>| {
        target(
            &contact,
            WorkspaceGrant::All,
            Precondition::Versions(versions),
        )
        .admit(Some(contact.clone()))
    };
    assert_eq!(at(vec![2, 3]), Ok(contact.clone()));
    assert_eq!(at(vec![2]), Err(DomainError::PreconditionFailed));
    assert_eq!(at(vec![]), Err(DomainError::PreconditionFailed));
    for any in [Precondition::None, Precondition::Exists] {
        let t = target(&contact, WorkspaceGrant::All, any);
        assert_eq!(t.admit(Some(contact.clone())), Ok(contact.clone()));
    }
}

#[test]
fn the_holder_is_looked_up_only_for_an_email_that_changes() {
    let contact = stored("Noto@Example.com", 1);
    assert_eq!(email_to_look_up(&contact, &ContactPatch::default()), None);
    assert_eq!(
        email_to_look_up(&contact, &email_patch("NOTO@example.COM")),
        None
    );
    assert_eq!(
        email_to_look_up(&contact, &email_patch("Raz@Example.com")),
        Some(
            EmailAddress::parse("raz@example.com")
                .expect("valid")
                .normalized()
        )
    );
}

#[test]
fn another_holder_of_the_new_email_refuses_the_update() {
    let contact = stored("noto@example.com", 1);
    let other = stored("raz@example.com", 1);
    let patch = email_patch("raz@example.com");
    let now = Timestamp::from_millis(5);
    assert_eq!(
        plan_update(&contact, Some(&other.id), &patch, now),
        Err(UpdateError::EmailTaken)
    );
    let moved = plan_update(&contact, None, &patch, now)
        .expect("free email")
        .expect("a change");
    assert_eq!(moved.email.as_str(), "raz@example.com");
    assert_eq!(
        plan_update(&contact, Some(&contact.id), &patch, now),
        Ok(Some(moved))
    );
}

#[test]
fn setting_the_subscription_it_already_has_changes_nothing() {
    let contact = stored("noto@example.com", 1);
    let now = Timestamp::from_millis(5);
    assert_eq!(plan_subscription(&contact, true, now), Ok(None));
    let off = plan_subscription(&contact, false, now)
        .expect("valid")
        .expect("a change");
    assert!(!off.subscribed);
    assert_eq!(off.updated_at, now);
}

proptest! {
    #[test]
    fn admit_is_the_grant_then_the_version(
        version in 1i64..6,
        listed in proptest::collection::vec(1i64..6, 0..4),
        granted: bool,
    ) {
        let contact = stored("noto@example.com", version);
        let grant = if granted {
            WorkspaceGrant::All
        } else {
            WorkspaceGrant::Listed(vec![workspace('z')])
        };
        let t = target(&contact, grant, Precondition::Versions(listed.clone()));
        let expected = if !granted {
            Err(DomainError::ContactNotFound)
        } else if listed.contains(&version) {
            Ok(contact.clone())
        } else {
            Err(DomainError::PreconditionFailed)
        };
        prop_assert_eq!(t.admit(Some(contact)), expected);
    }
}
