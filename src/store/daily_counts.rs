//! The daily-counts capability: per workspace and UTC day, what the change feed says
//! happened (`domain::activity::DayTally`), kept as a rollup of the feed for the dashboard's
//! chart, so drawing it reads a few rows per day however long the feed or big the import.
//!
//! The rollup is not written by contact writes (their path stays as it is). Each workspace
//! has a cursor into its feed; [`DailyCountStore::count_feed`] reads the next events after
//! it, in feed order, adds them to their days' counts and moves the cursor, all in one
//! transaction, so an event is counted once even when several servers count at the same
//! time (PostgreSQL: the cursor's row is locked; SQLite: the single writer). Being derived
//! from the feed, it can be dropped and rebuilt from it (`purrlist copy` does not copy it),
//! as long as the feed still holds every event: pruning counts the feed first.

use super::StoreError;
use crate::domain::activity::DayTally;
use crate::domain::ids::WorkspaceId;
use async_trait::async_trait;

/// Most events one [`DailyCountStore::count_feed`] call may be asked to count.
pub const MAX_COUNT_BATCH: u32 = 10_000;

/// The feed counted per day.
#[async_trait]
pub trait DailyCountStore: Send + Sync + 'static {
    /// Counts up to `limit` (at most [`MAX_COUNT_BATCH`]) of the workspace's events not
    /// counted yet, oldest first, in one transaction; returns how many. Fewer than `limit`
    /// means the rollup has reached the end of the feed (on PostgreSQL, of its settled
    /// part: events of transactions still running are counted by a later call).
    async fn count_feed(&self, workspace: &WorkspaceId, limit: u32) -> Result<u64, StoreError>;

    /// The counts of the workspace's days from `first_day` (days since the epoch) on, oldest
    /// first; days without events are missing.
    async fn daily_counts(
        &self,
        workspace: &WorkspaceId,
        first_day: i64,
    ) -> Result<Vec<DayTally>, StoreError>;
}

/// Counts the workspace's feed to its end, `batch` events per transaction; returns how many.
pub async fn count_whole_feed(
    store: &(impl DailyCountStore + ?Sized),
    workspace: &WorkspaceId,
    batch: u32,
) -> Result<u64, StoreError> {
    let mut total = 0;
    loop {
        let counted = store.count_feed(workspace, batch).await?;
        total += counted;
        if counted < u64::from(batch) {
            return Ok(total);
        }
    }
}
