//! One running job's row, kept true as the engine goes: every save takes the job's lock,
//! so saves land in the order their snapshots were taken, and the row never claims less
//! in flight than the database may hold.

use crate::domain::import_job::{ImportJob, ImportStatus};
use crate::domain::timestamp::Timestamp;
use crate::store::{ImportStore, StoreError};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::Mutex;

/// A job being run and the store its row lives in.
pub struct Tracker {
    store: Arc<dyn ImportStore>,
    job: Mutex<ImportJob>,
    rows_read: AtomicU64,
    bytes_read: AtomicU64,
}

impl Tracker {
    /// Tracks `job`, already stored.
    pub fn new(store: Arc<dyn ImportStore>, job: ImportJob) -> Tracker {
        Tracker {
            store,
            job: Mutex::new(job),
            rows_read: AtomicU64::new(0),
            bytes_read: AtomicU64::new(0),
        }
    }

    /// Notes how far the engine has read (saved with the next update).
    pub fn read_so_far(&self, rows: u64, bytes: u64) {
        self.rows_read.fetch_max(rows, Ordering::Relaxed);
        self.bytes_read.fetch_max(bytes, Ordering::Relaxed);
    }

    /// Applies `change` and saves the row (with the reading progress and a fresh
    /// heartbeat). Fails when the store does, or when the stored job is already final
    /// (another node declared it interrupted): the run must then stop writing.
    pub async fn update(&self, change: impl FnOnce(&mut ImportJob)) -> Result<(), StoreError> {
        let mut job = self.job.lock().await;
        if job.status.is_final() {
            return Err(StoreError::Internal(format!(
                "import {} is already {}",
                job.id,
                job.status.as_str()
            )));
        }
        job.counts.rows_read = job
            .counts
            .rows_read
            .max(self.rows_read.load(Ordering::Relaxed));
        job.counts.bytes_read = job
            .counts
            .bytes_read
            .max(self.bytes_read.load(Ordering::Relaxed));
        change(&mut job);
        job.heartbeat_at = Timestamp::now();
        if self.store.save_import(&job).await? {
            Ok(())
        } else {
            // Only the sweep of abandoned jobs ends a job that is not its server's.
            job.status = ImportStatus::Interrupted;
            Err(StoreError::Internal(format!(
                "import {} was declared interrupted elsewhere (its heartbeat had stopped)",
                job.id
            )))
        }
    }

    /// The job as last changed.
    pub async fn snapshot(&self) -> ImportJob {
        self.job.lock().await.clone()
    }
}
