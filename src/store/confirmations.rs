//! The double opt-in capability: pending confirmations, asked for, confirmed through their
//! link, or expired. `domain::confirmation` decides each step; a backend fetches the
//! contact and its pending request, and writes the outcome with its event in one
//! transaction.

use super::{BulkOutcome, StoreError, UpdateOutcome};
use crate::domain::bulk::BulkItem;
use crate::domain::confirmation::{ConfirmationToken, PendingConfirmation, RequestEvidence};
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::events::Actor;
use crate::domain::evidence::Origin;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::target::Target;
use crate::domain::timestamp::Timestamp;
use async_trait::async_trait;

/// How to ask for confirmations: the same for every contact of one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmationRequest {
    /// The workspace the contacts must be in (others are skipped).
    pub workspace: WorkspaceId,
    /// The public URL people reach this server at, without a trailing slash.
    pub public_base: String,
    /// How long the link lives.
    pub ttl_millis: i64,
    /// Who asked (recorded on the event).
    pub actor: Actor,
    /// How they asked.
    pub evidence: RequestEvidence,
    /// When.
    pub now: Timestamp,
}

/// How a write with `"confirm": true` asks: a [`ConfirmationRequest`] but for the
/// workspace, which is the written contacts' own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskToConfirm {
    /// The public URL people reach this server at, without a trailing slash.
    pub public_base: String,
    /// How long the link lives.
    pub ttl_millis: i64,
    /// Who asked (recorded on the event).
    pub actor: Actor,
    /// How they asked.
    pub evidence: RequestEvidence,
    /// When.
    pub now: Timestamp,
}

impl AskToConfirm {
    /// The request for contacts of `workspace`.
    pub fn in_workspace(self, workspace: WorkspaceId) -> ConfirmationRequest {
        ConfirmationRequest {
            workspace,
            public_base: self.public_base,
            ttl_millis: self.ttl_millis,
            actor: self.actor,
            evidence: self.evidence,
            now: self.now,
        }
    }
}

/// What asking did for one contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestOutcome {
    /// A request is pending (new, or renewed with a later deadline); the link is in the feed.
    Requested(PendingConfirmation),
    /// The contact is subscribed already: nothing changed.
    AlreadySubscribed,
    /// No such contact in the workspace.
    NotFound,
}

/// A pending confirmation found by its link's token.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfirmationTarget {
    /// The contact asked to confirm.
    pub contact: Contact,
    /// The name of its workspace, shown on the page.
    pub workspace_name: String,
    /// The request.
    pub pending: PendingConfirmation,
}

/// What pressing the button did.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfirmOutcome {
    /// The contact is subscribed now (`contact.confirmed` is in the feed).
    Confirmed(ConfirmationTarget),
    /// It was subscribed already; the request is gone, nothing else changed.
    AlreadySubscribed(ConfirmationTarget),
    /// Unknown or expired token: the same answer for both.
    Unavailable,
}

/// Pending confirmations; no API key involved in confirming (the token is the capability).
#[async_trait]
pub trait ConfirmationStore: Send + Sync + 'static {
    /// Asks each contact of `contacts` to confirm (`domain::confirmation::plan_request`),
    /// recording `contact.confirmation_requested` for each request made, all in one
    /// transaction; one outcome per contact, in order.
    async fn request_confirmations(
        &self,
        contacts: Vec<ContactId>,
        request: ConfirmationRequest,
    ) -> Result<Vec<RequestOutcome>, StoreError>;
    /// `ContactStore::update_contact` with the `"confirm": true` extension: the write and
    /// the request to confirm the contact it wrote, in one transaction (both or neither).
    async fn update_and_ask(
        &self,
        target: Target,
        patch: ContactPatch,
        now: Timestamp,
        origin: Origin,
        ask: AskToConfirm,
    ) -> Result<(UpdateOutcome, RequestOutcome), StoreError>;
    /// `ContactStore::upsert_contacts` where some items carry `"confirm": true`: the writes
    /// and a request for each applied item that asked, in one transaction (both or
    /// neither). The outcomes follow `BulkOutcome::results`, one per result that asked
    /// (`domain::confirmation::asked_to_confirm`).
    async fn upsert_and_ask(
        &self,
        workspace: WorkspaceId,
        items: Vec<BulkItem>,
        now: Timestamp,
        origin: Origin,
        ask: AskToConfirm,
    ) -> Result<(BulkOutcome, Vec<RequestOutcome>), StoreError>;
    /// The request pending for a contact, if any (live or past its deadline but not yet
    /// expired by the task): for the consent state of a contact.
    async fn pending_confirmation(
        &self,
        contact: &ContactId,
    ) -> Result<Option<PendingConfirmation>, StoreError>;
    /// The live request a link's token names, with its contact; `None` for an unknown or
    /// expired token.
    async fn find_confirmation(
        &self,
        token: &ConfirmationToken,
        now: Timestamp,
    ) -> Result<Option<ConfirmationTarget>, StoreError>;
    /// Confirms through a link (`domain::confirmation::plan_confirmation`), recording
    /// `contact.confirmed` with `evidence` as the confirmation link's change.
    async fn confirm(
        &self,
        token: ConfirmationToken,
        evidence: RequestEvidence,
        now: Timestamp,
    ) -> Result<ConfirmOutcome, StoreError>;
    /// Every pending request, for `purrlist copy`.
    async fn export_confirmations(&self) -> Result<Vec<PendingConfirmation>, StoreError>;
    /// Stores requests as they are, for `purrlist copy`; one whose contact has a request
    /// already is skipped. Returns how many were stored.
    async fn import_confirmations(
        &self,
        pending: Vec<PendingConfirmation>,
    ) -> Result<u64, StoreError>;
    /// Removes up to `limit` requests whose deadline is at or before `now`, recording
    /// `contact.confirmation_expired` for each whose contact still exists; returns how
    /// many were removed.
    async fn expire_confirmations(&self, now: Timestamp, limit: u32) -> Result<u64, StoreError>;
}
