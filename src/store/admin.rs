//! The admin capability: workspaces, API keys, the first start, and the database's pulse.

use super::StoreError;
use crate::domain::api_key::{ApiKey, KeyHash};
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use async_trait::async_trait;

/// Workspaces and API keys. Every method is atomic: it applies whole or not at all.
#[async_trait]
pub trait AdminStore: Send + Sync + 'static {
    /// Answers when the database does.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Makes a workspace.
    async fn create_workspace(&self, name: String, now: Timestamp)
    -> Result<Workspace, StoreError>;
    /// Every workspace, oldest first.
    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError>;
    /// Whether the workspace exists.
    async fn workspace_exists(&self, id: &WorkspaceId) -> Result<bool, StoreError>;
    /// Sets a workspace's name (already checked by `domain::workspace::parse_workspace_name`);
    /// `None` when there is no such workspace.
    async fn rename_workspace(
        &self,
        id: &WorkspaceId,
        name: String,
    ) -> Result<Option<Workspace>, StoreError>;

    /// Stores `workspace` and `key` together, only when the database has no workspace yet;
    /// false (and nothing stored) when one exists. Atomic even when several nodes start at once.
    async fn create_first_workspace(
        &self,
        workspace: Workspace,
        key: ApiKey,
        hash: KeyHash,
    ) -> Result<bool, StoreError>;

    /// Stores a key (its hash only). Fails with `DomainError::UnknownWorkspace` for a listed
    /// workspace that does not exist.
    async fn create_api_key(&self, key: ApiKey, hash: KeyHash) -> Result<(), StoreError>;
    /// Every key, oldest first, never a secret.
    async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError>;
    /// Revokes a key; false when there is no such key.
    async fn revoke_api_key(&self, id: &ApiKeyId, now: Timestamp) -> Result<bool, StoreError>;
    /// The key with this hash, revoked or not.
    async fn find_api_key(&self, hash: KeyHash) -> Result<Option<ApiKey>, StoreError>;
}
