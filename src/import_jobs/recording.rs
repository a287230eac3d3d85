//! The store the engine writes through when it runs a job: the real one, with the job's
//! row brought up to date around every group of chunks. Before a group is handed on, the
//! row says those rows are in flight; once it is committed, that they are written. So
//! whenever the server dies, the row brackets what the database holds: `rows_written`
//! certainly, at most `rows_in_flight` more (whole chunks), nothing after.

use super::tracker::Tracker;
use crate::domain::api_key::{ApiKey, KeyHash};
use crate::domain::bulk::{ItemResult, ItemStatus};
use crate::domain::contact::Contact;
use crate::domain::events::StoredEvent;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::import_plan::{ImportItem, ImportPlan};
use crate::domain::suppression::SuppressionsByEmail;
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::store::{
    ChunkOutcomes, IdempotencyEntry, ImportOutcome, ImportRows, ImportWrite, StoreError,
    TransferStore,
};
use async_trait::async_trait;
use std::future::Future;
use std::sync::Arc;

/// [`TransferStore`] that records a job's writes in its row.
pub struct RecordingStore {
    inner: Arc<dyn TransferStore>,
    tracker: Arc<Tracker>,
}

impl RecordingStore {
    /// Writes through `inner`, recording in `tracker`'s job.
    pub fn new(inner: Arc<dyn TransferStore>, tracker: Arc<Tracker>) -> RecordingStore {
        RecordingStore { inner, tracker }
    }
}

#[async_trait]
impl TransferStore for RecordingStore {
    async fn export_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.inner.export_workspaces().await
    }

    async fn export_api_keys(&self) -> Result<Vec<(ApiKey, KeyHash)>, StoreError> {
        self.inner.export_api_keys().await
    }

    async fn export_contacts(
        &self,
        workspace: &WorkspaceId,
        after: Option<(Timestamp, ContactId)>,
        limit: u32,
    ) -> Result<Vec<Contact>, StoreError> {
        self.inner.export_contacts(workspace, after, limit).await
    }

    async fn count_contacts(&self, workspace: &WorkspaceId) -> Result<u64, StoreError> {
        self.inner.count_contacts(workspace).await
    }

    async fn suppressions_of_emails(
        &self,
        workspace: &WorkspaceId,
        emails: &[&str],
    ) -> Result<SuppressionsByEmail, StoreError> {
        self.inner.suppressions_of_emails(workspace, emails).await
    }

    async fn export_events(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        self.inner.export_events(after, limit).await
    }

    async fn count_events(&self, workspace: &WorkspaceId) -> Result<u64, StoreError> {
        self.inner.count_events(workspace).await
    }

    async fn export_idempotency(
        &self,
        since: Timestamp,
    ) -> Result<Vec<IdempotencyEntry>, StoreError> {
        self.inner.export_idempotency(since).await
    }

    async fn import(&self, rows: ImportRows) -> Result<(), StoreError> {
        self.inner.import(rows).await
    }

    async fn import_contact_chunks(
        &self,
        workspace: WorkspaceId,
        chunks: Vec<Vec<ImportItem>>,
        write: ImportWrite,
    ) -> Result<ChunkOutcomes<ImportOutcome>, StoreError> {
        let handed = rows_in(&chunks);
        let write = self.inner.import_contact_chunks(workspace, chunks, write);
        self.recorded(handed, write, |o| &o.results).await
    }

    async fn plan_import_chunk(
        &self,
        workspace: WorkspaceId,
        items: Vec<ImportItem>,
        earlier: Vec<Contact>,
        write: ImportWrite,
    ) -> Result<ImportPlan, StoreError> {
        self.inner
            .plan_import_chunk(workspace, items, earlier, write)
            .await
    }
}

fn rows_in<T>(chunks: &[Vec<T>]) -> u64 {
    chunks.iter().map(Vec::len).sum::<usize>() as u64
}

impl RecordingStore {
    /// Runs `write` of `handed` rows with the row saying them in flight before, and
    /// written (as `results_of` each chunk's outcome says) after.
    async fn recorded<T>(
        &self,
        handed: u64,
        write: impl Future<Output = Result<ChunkOutcomes<T>, StoreError>>,
        results_of: impl Fn(&T) -> &[ItemResult],
    ) -> Result<ChunkOutcomes<T>, StoreError> {
        self.tracker
            .update(|job| job.counts.rows_in_flight = handed)
            .await?;
        // On an error the row keeps the group in flight: some chunks may be committed.
        let done = write.await?;
        self.tracker
            .update(|job| {
                let counts = &mut job.counts;
                for result in done.outcomes.iter().flat_map(&results_of) {
                    counts.rows_written += 1;
                    match result.status {
                        ItemStatus::Created => counts.created += 1,
                        ItemStatus::Updated => counts.updated += 1,
                        ItemStatus::Unchanged => counts.unchanged += 1,
                    }
                }
                counts.rows_in_flight = 0;
            })
            .await?;
        Ok(done)
    }
}
