//! The contact search of the dashboard: newest first, by keyset (the last row of a page
//! names where the next begins), so a page deep in a million contacts costs what the first
//! does. The API's offset-paged list (`ContactStore::list_contacts`) stays as Notocat has it.

use super::StoreError;
use crate::domain::contact::Contact;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use async_trait::async_trait;

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

/// One page of a search, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSearch {
    /// The workspace.
    pub workspace: WorkspaceId,
    /// Lower-cased text found anywhere in the email's normal form or in a name.
    pub text: Option<String>,
    /// Only subscribed (`true`) or unsubscribed (`false`) contacts.
    pub subscribed: Option<bool>,
    /// Only contacts whose address is suppressed (`true`) or is not (`false`).
    pub suppressed: Option<bool>,
    /// Only contacts older than this cursor (the next page).
    pub before: Option<ContactCursor>,
    /// Most contacts returned.
    pub limit: u32,
}

/// Searching contacts page by page.
#[async_trait]
pub trait ContactSearchStore: Send + Sync + 'static {
    /// The contacts matching `search`, newest first, at most `limit`.
    async fn search_contacts(&self, search: ContactSearch) -> Result<Vec<Contact>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

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
