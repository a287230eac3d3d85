//! A place in the contact list's order (`createdAt`, then `id` in byte order, ascending),
//! where a keyset page starts or ends. The API's `after=<contact id>` (docs/api.md,
//! "Keyset pages") starts after one; the dashboard's search (newest first) reads on before
//! one. The rule that turns the contact `after` names into a place is here, once: a
//! backend only writes a place as one row-value comparison on `(created_at, id)`, which the
//! list indexes `(workspace_id[, subscribed], created_at, id)` answer with a seek.

use super::contact::Contact;
use super::error::DomainError;
use super::ids::{ContactId, WorkspaceId};
use super::timestamp::Timestamp;

/// Where a page ends: the `(createdAt, id)` of its last contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactCursor {
    /// The last contact's creation time.
    pub created_at: Timestamp,
    /// The last contact's id (ties on time are broken by id).
    pub id: ContactId,
}

impl ContactCursor {
    /// The cursor after `contact`.
    pub fn after(contact: &Contact) -> ContactCursor {
        ContactCursor {
            created_at: contact.created_at,
            id: contact.id.clone(),
        }
    }

    /// Where a keyset page of `workspace`'s list starts (`after=<contact id>`): just after
    /// the contact the id names, `named` as looked up. No contact, or one of another
    /// workspace, is [`DomainError::InvalidCursor`]: the caller is not told which, so the
    /// answer reveals nothing of other workspaces. A contact deleted since the client read
    /// its id is gone from the order too, so it marks no place.
    pub fn start_after(
        named: Option<Contact>,
        workspace: &WorkspaceId,
    ) -> Result<ContactCursor, DomainError> {
        named
            .filter(|contact| &contact.workspace_id == workspace)
            .map(|contact| ContactCursor::after(&contact))
            .ok_or(DomainError::InvalidCursor)
    }

    /// Whether `contact` comes after this place in list order.
    pub fn is_before(&self, contact: &Contact) -> bool {
        (contact.created_at, contact.id.as_str()) > (self.created_at, self.id.as_str())
    }

    /// As written in a URL: `<millis>.<contact id>`.
    pub fn to_text(&self) -> String {
        format!("{}.{}", self.created_at.millis(), self.id)
    }

    /// A cursor read back from a URL; `None` when malformed.
    pub fn parse(text: &str) -> Option<ContactCursor> {
        let (millis, id) = text.split_once('.')?;
        Some(ContactCursor {
            created_at: Timestamp::from_millis(millis.parse().ok()?),
            id: ContactId::parse(id)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contact::ContactPatch;
    use crate::domain::email::EmailAddress;

    fn contact_at(workspace: &WorkspaceId, millis: i64) -> Contact {
        let email = EmailAddress::parse("noto@example.com").expect("valid");
        let at = Timestamp::from_millis(millis);
        Contact::create(workspace.clone(), email, &ContactPatch::default(), at).expect("valid")
    }

    #[test]
    fn a_page_starts_after_a_contact_of_the_listed_workspace_only() {
        let workspace = WorkspaceId::generate();
        let named = contact_at(&workspace, 5);
        let cursor = ContactCursor::start_after(Some(named.clone()), &workspace);
        assert_eq!(cursor, Ok(ContactCursor::after(&named)));
        let elsewhere = ContactCursor::start_after(Some(named), &WorkspaceId::generate());
        assert_eq!(elsewhere, Err(DomainError::InvalidCursor));
        let gone = ContactCursor::start_after(None, &workspace);
        assert_eq!(gone, Err(DomainError::InvalidCursor));
    }

    #[test]
    fn after_means_a_later_time_or_the_same_time_and_a_greater_id() {
        let workspace = WorkspaceId::generate();
        let place = ContactCursor::after(&contact_at(&workspace, 5));
        assert!(place.is_before(&contact_at(&workspace, 6)));
        assert!(!place.is_before(&contact_at(&workspace, 4)));
        let mut same_time = contact_at(&workspace, 5);
        same_time.id = place.id.clone();
        assert!(!place.is_before(&same_time), "strictly after: not itself");
        same_time.id = ContactId::from_stored(format!("{}-", place.id));
        assert!(place.is_before(&same_time));
    }

    #[test]
    fn a_cursor_reads_back_and_refuses_junk() {
        let cursor = ContactCursor {
            created_at: Timestamp::from_millis(1_700_000_000_123),
            id: ContactId::generate(),
        };
        assert_eq!(ContactCursor::parse(&cursor.to_text()), Some(cursor));
        assert_eq!(ContactCursor::parse("12.con_x"), None);
        assert_eq!(ContactCursor::parse("x.y"), None);
        assert_eq!(ContactCursor::parse(""), None);
    }
}
