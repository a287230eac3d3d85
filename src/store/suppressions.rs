//! The suppressions capability (api.md §8): addresses of a workspace that must not be
//! mailed, suppressing and lifting them (each an event of the contact holding the
//! address, in the same transaction), erasure on request, and the reads of the consent
//! endpoint. The rules are `domain::suppression`'s; a backend fetches and persists.

use super::StoreError;
use crate::domain::email::EmailAddress;
use crate::domain::events::StoredEvent;
use crate::domain::evidence::Origin;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::suppression::{Suppression, SuppressionReason};
use crate::domain::timestamp::Timestamp;
use async_trait::async_trait;

/// What suppressing an address did.
#[derive(Debug, Clone, PartialEq)]
pub struct SuppressOutcome {
    /// The suppression as it now is.
    pub suppression: Suppression,
    /// The contact holding the address, if one does (it is now unsubscribed).
    pub contact_id: Option<ContactId>,
    /// False when the address already had this suppression (nothing was written).
    pub changed: bool,
}

/// What an erasure did.
#[derive(Debug, Clone, PartialEq)]
pub struct ErasureOutcome {
    /// The contact deleted, if the address had one.
    pub contact_id: Option<ContactId>,
    /// Events stripped of personal data (of that contact and of earlier contacts that held
    /// the address).
    pub events_scrubbed: u64,
    /// The `erased` suppression kept (only its id, a salted hash, names the address).
    pub suppression: Suppression,
}

/// A page of a workspace's suppressions, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct SuppressionPage {
    /// This page.
    pub suppressions: Vec<Suppression>,
    /// Every suppression of the workspace.
    pub total: u64,
}

/// Every suppression of a database and the salt of their ids, for `purrlist copy`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SuppressionCopy {
    /// The salt, if any suppression was ever made.
    pub salt: Option<Vec<u8>>,
    /// Every suppression, in no particular order.
    pub suppressions: Vec<Suppression>,
}

/// What a lift did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiftOutcome {
    /// Lifted; the contact holding the address (if any) keeps `subscribed: false` and
    /// gets a `contact.unsuppressed` event.
    Lifted(SuppressionReason),
    /// No such suppression in a workspace the caller may use.
    NotFound,
    /// Refused: the reason needs the override (`bounced`, `complained`) or can never be
    /// lifted this way (`erased`).
    Refused(SuppressionReason),
}

/// Suppressions. Every method is atomic.
#[async_trait]
pub trait SuppressionStore: Send + Sync + 'static {
    /// Suppresses `email` in `workspace` for `reason`, recorded as `actor`'s: the contact
    /// holding the address, if any, becomes unsubscribed, and gets a `contact.suppressed`
    /// event. An address already suppressed takes the new reason, except that an `erased`
    /// one stays erased. This is the call for anything that learns an address must not
    /// be mailed (the inbound bounce and complaint hooks, the API, imports).
    async fn suppress_address(
        &self,
        workspace: &WorkspaceId,
        email: &EmailAddress,
        reason: SuppressionReason,
        origin: Origin,
        now: Timestamp,
    ) -> Result<SuppressOutcome, StoreError>;

    /// Lifts the suppression with `id` (`domain::suppression::suppression_id`) in one of
    /// `workspaces` (`None`: any): a `manual` one always, a `bounced` or `complained` one
    /// only with `override_given`, an `erased` one never.
    async fn lift_suppression(
        &self,
        id: &str,
        workspaces: Option<&[WorkspaceId]>,
        override_given: bool,
        origin: Origin,
        now: Timestamp,
    ) -> Result<LiftOutcome, StoreError>;

    /// The suppression of a normalised address, if any.
    async fn suppression_of(
        &self,
        workspace: &WorkspaceId,
        email_norm: &str,
    ) -> Result<Option<Suppression>, StoreError>;

    /// A page of a workspace's suppressions, newest first (then by id).
    async fn list_suppressions(
        &self,
        workspace: &WorkspaceId,
        limit: u32,
        offset: u64,
    ) -> Result<SuppressionPage, StoreError>;

    /// Erases `email` from `workspace` on request: deletes its contact, strips the personal
    /// data (email, names, custom fields) from the events of every contact that held the
    /// address, keeps an `erased` suppression holding only the hash, and records
    /// `contact.erased` (without the address) when there was a contact.
    async fn erase_address(
        &self,
        workspace: &WorkspaceId,
        email: &EmailAddress,
        origin: Origin,
        now: Timestamp,
    ) -> Result<ErasureOutcome, StoreError>;

    /// Every suppression and the salt, as they are (`purrlist copy`).
    async fn export_suppressions(&self) -> Result<SuppressionCopy, StoreError>;

    /// Writes copied suppressions (keeping those already there) and the salt; refuses a
    /// target whose salt differs (its ids would not match the copied ones).
    async fn import_suppressions(&self, copy: SuppressionCopy) -> Result<(), StoreError>;

    /// The newest event of a contact (the last change of its consent state, for
    /// `GET /v1/contacts/{id}/consent`).
    async fn last_event_of(
        &self,
        workspace: &WorkspaceId,
        contact: &ContactId,
    ) -> Result<Option<StoredEvent>, StoreError>;
}
