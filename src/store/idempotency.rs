//! The idempotency capability: `Idempotency-Key` records, decided by
//! `domain::idempotency::decide` inside the backend's transaction.

use super::StoreError;
use crate::domain::idempotency::{IdempotencyBegin, IdempotencyClaim, StoredResponse};
use crate::domain::ids::ApiKeyId;
use crate::domain::timestamp::Timestamp;
use async_trait::async_trait;

/// Requests kept under (API key, `Idempotency-Key`) for replay.
#[async_trait]
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Starts a request under (`api_key`, `key`) following `domain::idempotency::decide`;
    /// on `Started` the key is marked running.
    async fn begin_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        claim: IdempotencyClaim,
    ) -> Result<IdempotencyBegin, StoreError>;
    /// Keeps the answer of a started request, for replay.
    async fn finish_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        response: StoredResponse,
    ) -> Result<(), StoreError>;
    /// Forgets a started request that kept no answer, so a retry runs again.
    async fn release_idempotent(&self, api_key: ApiKeyId, key: String) -> Result<(), StoreError>;
    /// Deletes keys first used before `before`; returns how many.
    async fn prune_idempotency(&self, before: Timestamp) -> Result<u64, StoreError>;
}
