//! The privacy-export capability: which contacts' histories mention an address, so an
//! access request finds a contact that was deleted, or whose email changed, as well as
//! the one holding the address now.

use super::StoreError;
use crate::domain::ids::{ContactId, WorkspaceId};
use async_trait::async_trait;

/// `text` as a LIKE pattern that matches it anywhere, with `%`, `_` and `\` escaped.
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Reads for answering an access request (api.md §8).
#[async_trait]
pub trait PrivacyExportStore: Send + Sync + 'static {
    /// Contacts of `workspace` with an event whose recorded changes contain `email`
    /// (compared case-insensitively as text; a superset the caller narrows down), in the
    /// order of their first such event. Reads the whole feed of the workspace: meant for
    /// the occasional access request, not for a hot path.
    async fn contacts_mentioning(
        &self,
        workspace: &WorkspaceId,
        email: &str,
    ) -> Result<Vec<ContactId>, StoreError>;
}
