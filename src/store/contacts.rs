//! The contacts capability: reading, updating, bulk-upserting and deleting contacts.
//! The rules come from the domain (`domain::target` for one contact, `domain::bulk` for
//! many); a backend fetches what they need and writes what they return.

use super::StoreError;
use crate::domain::api_key::WorkspaceGrant;
use crate::domain::bulk::{BulkItem, ItemRefusal, ItemResult};
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::evidence::Origin;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::list_position::ContactCursor;
use crate::domain::target::Target;
use crate::domain::timestamp::Timestamp;
use async_trait::async_trait;

/// A page of the contact list, in `createdAt`, `id` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactQuery {
    /// The workspace to list.
    pub workspace: WorkspaceId,
    /// Exact match on the normalised email.
    pub email: Option<String>,
    /// Only subscribed (`true`) or unsubscribed (`false`) contacts.
    pub subscribed: Option<bool>,
    /// Page size, 1 to 1000.
    pub limit: u32,
    /// Only contacts after this place in list order (a keyset page, `after=`); it bounds
    /// the page, never `total`.
    pub after: Option<ContactCursor>,
    /// Rows to skip (after `after`, when given).
    pub offset: u64,
}

impl ContactQuery {
    /// Every contact of `workspace`, a page of one: for its `total`.
    pub fn count_of(workspace: WorkspaceId) -> ContactQuery {
        ContactQuery {
            workspace,
            email: None,
            subscribed: None,
            limit: 1,
            after: None,
            offset: 0,
        }
    }

    /// The total for this query's `subscribed` filter, from a workspace's kept counts of
    /// all its contacts and of the subscribed ones (both backends keep them; an email
    /// filter is counted otherwise).
    pub fn total_from_counts(&self, contacts: i64, subscribed: i64) -> i64 {
        match self.subscribed {
            None => contacts,
            Some(true) => subscribed,
            Some(false) => contacts - subscribed,
        }
    }
}

/// One page of contacts and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactPage {
    /// This page.
    pub contacts: Vec<Contact>,
    /// Every contact matching the filters, wherever `after` starts the page.
    pub total: u64,
}

/// What a single-contact update did.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateOutcome {
    /// The contact as it now is.
    pub contact: Contact,
    /// False for a write that changed nothing (and kept `updatedAt`).
    pub changed: bool,
}

/// What a bulk upsert did.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOutcome {
    /// One entry per applied item, in order.
    pub results: Vec<ItemResult>,
    /// Items left out because their address is suppressed (`domain::suppression`).
    pub refused: Vec<ItemRefusal>,
}

/// Which contacts a bulk delete removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteScope {
    /// Notocat's default: only unsubscribed contacts.
    UnsubscribedOnly,
    /// `subscribed=true`: every contact of the workspace.
    Everyone,
}

/// Contacts. Every method is atomic: it applies whole or not at all.
#[async_trait]
pub trait ContactStore: Send + Sync + 'static {
    /// A contact by id, in a workspace `grant` allows.
    async fn get_contact(
        &self,
        id: &ContactId,
        grant: &WorkspaceGrant,
    ) -> Result<Option<Contact>, StoreError>;
    /// Merges `patch` into the contact `target` names if the domain admits the write
    /// (`domain::target`), recording the change as `origin`'s (its actor and evidence).
    async fn update_contact(
        &self,
        target: Target,
        patch: ContactPatch,
        now: Timestamp,
        origin: Origin,
    ) -> Result<UpdateOutcome, StoreError>;
    /// Creates or updates many contacts of one workspace, all or nothing (`domain::bulk::plan_bulk`),
    /// recording each change as `origin`'s
    /// (each item's `consent`, when it has one, in place of the request's).
    async fn upsert_contacts(
        &self,
        workspace: WorkspaceId,
        items: Vec<BulkItem>,
        now: Timestamp,
        origin: Origin,
    ) -> Result<BulkOutcome, StoreError>;
    /// One page of contacts and the total that match.
    async fn list_contacts(&self, query: ContactQuery) -> Result<ContactPage, StoreError>;
    /// Deletes the contact `target` names if the domain admits the write; false when
    /// there is none the caller may see.
    async fn delete_contact(
        &self,
        target: Target,
        now: Timestamp,
        origin: Origin,
    ) -> Result<bool, StoreError>;
    /// Deletes contacts of a workspace in bulk; returns how many.
    async fn delete_contacts(
        &self,
        workspace: WorkspaceId,
        scope: DeleteScope,
        now: Timestamp,
        origin: Origin,
    ) -> Result<u64, StoreError>;
}
