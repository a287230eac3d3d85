//! The unsubscribe capability: a contact reached by the token of its unsubscribe link.

use super::StoreError;
use crate::domain::contact::Contact;
use crate::domain::evidence::Evidence;
use crate::domain::ids::UnsubToken;
use crate::domain::timestamp::Timestamp;
use async_trait::async_trait;

/// A contact found by its unsubscribe token, with the name of its newsletter.
#[derive(Debug, Clone, PartialEq)]
pub struct UnsubscribeTarget {
    /// The contact.
    pub contact: Contact,
    /// The name of its workspace, shown on the page.
    pub workspace_name: String,
}

/// Contacts by unsubscribe token; no API key involved (the token is the capability).
#[async_trait]
pub trait UnsubscribeStore: Send + Sync + 'static {
    /// The contact whose unsubscribe link carries `token`, and its newsletter's name.
    async fn find_by_unsub_token(
        &self,
        token: &UnsubToken,
    ) -> Result<Option<UnsubscribeTarget>, StoreError>;
    /// Sets `subscribed` of the contact with `token` (a no-op when it already is), recorded
    /// as the unsubscribe link's change with `evidence`; `None` when there is no such contact.
    async fn set_subscribed_by_token(
        &self,
        token: UnsubToken,
        subscribed: bool,
        now: Timestamp,
        evidence: Evidence,
    ) -> Result<Option<UnsubscribeTarget>, StoreError>;
}
