//! The form keys capability: publishable keys of public sign-up forms, made, listed and
//! revoked by the operator, looked up on every `POST /f/{key}`.

use super::StoreError;
use crate::domain::form_key::{FormKey, FormKeyId};
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use async_trait::async_trait;

/// Form keys.
#[async_trait]
pub trait FormKeyStore: Send + Sync + 'static {
    /// Stores a new key (a key with this id already stored is kept as it is: `purrlist copy
    /// --resume`).
    async fn create_form_key(&self, key: FormKey) -> Result<(), StoreError>;
    /// A key by id, revoked or not.
    async fn get_form_key(&self, id: &FormKeyId) -> Result<Option<FormKey>, StoreError>;
    /// The keys of a workspace (every workspace when `None`), oldest first, revoked ones too.
    async fn list_form_keys(
        &self,
        workspace: Option<WorkspaceId>,
    ) -> Result<Vec<FormKey>, StoreError>;
    /// Revokes a key; false when there is none (a revoked key stays revoked, true).
    async fn revoke_form_key(&self, id: &FormKeyId, now: Timestamp) -> Result<bool, StoreError>;
}
