//! The inbound capability: each workspace's inbound secret (its hash), and the feed event
//! of a sending service's report that changed nothing (`EventKind::Reported`).

use super::StoreError;
use crate::domain::evidence::Origin;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use async_trait::async_trait;

/// A workspace's inbound secret as stored, for `purrlist copy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSecretRow {
    /// The workspace.
    pub workspace: WorkspaceId,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// When it was made.
    pub created_at: Timestamp,
}

/// Inbound secrets and reports.
#[async_trait]
pub trait InboundStore: Send + Sync + 'static {
    /// Stores the hash of `workspace`'s inbound secret, replacing the one before.
    async fn set_inbound_secret(
        &self,
        workspace: &WorkspaceId,
        secret_hash: String,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    /// The hash of `workspace`'s inbound secret; `None` when it has none.
    async fn inbound_secret_hash(
        &self,
        workspace: &WorkspaceId,
    ) -> Result<Option<String>, StoreError>;
    /// Records a `reported` event (no change, `origin`'s evidence) for the contact, in the
    /// contact's event order; false when there is no such contact in `workspace`.
    async fn record_report(
        &self,
        workspace: &WorkspaceId,
        contact: &ContactId,
        origin: Origin,
        now: Timestamp,
    ) -> Result<bool, StoreError>;
    /// Every workspace's inbound secret (its hash), for `purrlist copy`.
    async fn export_inbound_secrets(&self) -> Result<Vec<InboundSecretRow>, StoreError>;
    /// Stores secrets as they are, keeping the one a workspace already has.
    async fn import_inbound_secrets(&self, rows: Vec<InboundSecretRow>) -> Result<(), StoreError>;
}
