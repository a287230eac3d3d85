//! The contact search of the dashboard: newest first, by keyset (the last row of a page
//! names where the next begins, a `domain::list_position::ContactCursor`), so a page deep
//! in a million contacts costs what the first does. The API's list
//! (`ContactStore::list_contacts`) pages as Notocat does, and by keyset with `after`.

use super::StoreError;
use crate::domain::contact::Contact;
use crate::domain::ids::WorkspaceId;
use crate::domain::list_position::ContactCursor;
use async_trait::async_trait;

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
