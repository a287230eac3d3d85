//! The imports capability: the jobs of `POST /v1/imports`, one row each, written by the
//! server that runs them (status, progress, report) and read by any node.

use super::StoreError;
use crate::domain::ids::{ImportId, WorkspaceId};
use crate::domain::import_job::ImportJob;
use crate::domain::timestamp::Timestamp;
use async_trait::async_trait;

/// Import jobs. Every method is atomic.
#[async_trait]
pub trait ImportStore: Send + Sync + 'static {
    /// Stores a new job.
    async fn create_import(&self, job: &ImportJob) -> Result<(), StoreError>;
    /// Saves a job's status, format, counts, report, error and times, unless the stored
    /// one is already final (another node may have declared it interrupted); returns
    /// whether it was saved.
    async fn save_import(&self, job: &ImportJob) -> Result<bool, StoreError>;
    /// The job with this id, in any workspace.
    async fn find_import(&self, id: &ImportId) -> Result<Option<ImportJob>, StoreError>;
    /// Up to `limit` jobs of a workspace, newest first.
    async fn list_imports(
        &self,
        workspace: &WorkspaceId,
        limit: u32,
    ) -> Result<Vec<ImportJob>, StoreError>;
    /// Marks `interrupted` (finished at `now`) every `queued` or `running` job whose
    /// heartbeat is older than `heartbeat_before`: jobs left by a server that stopped.
    /// Their counts stay as last saved. Returns how many.
    async fn interrupt_abandoned_imports(
        &self,
        heartbeat_before: Timestamp,
        now: Timestamp,
    ) -> Result<u64, StoreError>;
    /// Up to `limit` jobs after `after` in (created, id) order, for `purrlist copy`.
    async fn export_imports(
        &self,
        after: Option<(Timestamp, ImportId)>,
        limit: u32,
    ) -> Result<Vec<ImportJob>, StoreError>;
    /// Stores jobs as they are, skipping any whose id is already stored (`purrlist copy`).
    async fn import_imports(&self, jobs: Vec<ImportJob>) -> Result<(), StoreError>;
}
