//! Imports over HTTP as background jobs: a body spooled to a private file (`spool`) becomes
//! a job row (`store::ImportStore`) and a tokio task that runs the same engine as
//! `purrlist import` (`engine`), one job at a time per server, writing through a store that
//! keeps the row true around every committed group (`recording`, `tracker`). The row gets
//! a heartbeat every few seconds; a job whose heartbeat stopped was left by a server that
//! died, and is marked `interrupted` (at the next start, or by another PostgreSQL node).
//! A graceful shutdown stops running jobs and marks them `interrupted` too.

mod engine;
mod metrics;
mod recording;
mod spool;
mod tracker;

pub use metrics::ImportMetrics;
pub use spool::{Spool, SpoolError};

use crate::domain::evidence::Evidence;
use crate::domain::ids::ImportId;
use crate::domain::import_job::{ImportJob, ImportStatus};
use crate::domain::timestamp::Timestamp;
use crate::store::{ImportStore, SharedStore, StoreError, TransferStore};
use recording::RecordingStore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;
use tracker::Tracker;

/// How often a job's row is saved with its progress and a fresh heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// Jobs one server runs at once; more wait, `queued`.
const AT_ONCE: usize = 1;

/// The import jobs of this server.
#[derive(Clone)]
pub struct ImportJobs(Arc<Inner>);

struct Inner {
    store: SharedStore,
    spool: Spool,
    running: Mutex<HashMap<ImportId, Running>>,
    permits: Semaphore,
    metrics: ImportMetrics,
}

struct Running {
    tracker: Arc<Tracker>,
    task: JoinHandle<()>,
}

impl ImportJobs {
    /// Jobs over `store`, their bodies spooled in `spool`.
    pub fn new(store: SharedStore, spool: Spool) -> ImportJobs {
        ImportJobs(Arc::new(Inner {
            store,
            spool,
            running: Mutex::default(),
            permits: Semaphore::new(AT_ONCE),
            metrics: ImportMetrics::default(),
        }))
    }

    /// Where bodies are spooled.
    pub fn spool(&self) -> &Spool {
        &self.0.spool
    }

    /// Counters for `/metrics`.
    pub fn metrics(&self) -> &ImportMetrics {
        &self.0.metrics
    }

    /// Marks `interrupted` the jobs whose heartbeat is older than `heartbeat_before`, and
    /// removes the bodies of ended jobs from the spool.
    pub async fn sweep(&self, heartbeat_before: Timestamp) -> Result<u64, StoreError> {
        let interrupted = self
            .0
            .store
            .interrupt_abandoned_imports(heartbeat_before, Timestamp::now())
            .await?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "import jobs left by a stopped server are marked interrupted"
            );
            self.0.metrics.ended(ImportStatus::Interrupted, interrupted);
        }
        self.0.spool.clear_ended(&*self.0.store).await;
        Ok(interrupted)
    }

    /// Runs `job` (already stored, its body spooled) in the background; `requested_by` is
    /// the evidence of the request that asked for it, kept on every event it writes.
    pub fn start(&self, job: ImportJob, requested_by: Option<Evidence>) {
        let id = job.id.clone();
        let tracker = Arc::new(Tracker::new(
            self.0.store.clone() as Arc<dyn ImportStore>,
            job,
        ));
        self.0.metrics.accepted();
        let mut running = self.0.running.lock().unwrap_or_else(|e| e.into_inner());
        let task = tokio::spawn(run(self.clone(), tracker.clone(), requested_by));
        running.insert(id, Running { tracker, task });
    }

    /// Stops every job of this server and marks it `interrupted` with what it wrote
    /// (graceful shutdown).
    pub async fn stop_all(&self) {
        let running: Vec<(ImportId, Running)> = self
            .0
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain()
            .collect();
        for (id, job) in running {
            job.task.abort();
            let _ = job.task.await;
            let now = Timestamp::now();
            match job.tracker.update(|j| j.interrupt(now)).await {
                Ok(()) => {
                    let written = job.tracker.snapshot().await.counts.rows_written;
                    self.0.metrics.ended(ImportStatus::Interrupted, 1);
                    self.0.metrics.wrote(written);
                    tracing::info!(import = %id, "import stopped by the shutdown");
                }
                Err(e) => {
                    tracing::warn!(import = %id, error = %e, "cannot mark an import interrupted")
                }
            }
            self.0.spool.remove(&id);
        }
    }
}

/// One job's task: wait for a turn, run the engine, record the end, clean up; the row's
/// heartbeat kept fresh all along by a task of its own. The engine runs on a blocking
/// thread of its own (its reading and parsing would otherwise hold up a worker of the
/// server, and the heartbeat with it); once the row is final (a shutdown, or another node
/// declared it abandoned) its next group fails to start, so it stops writing.
async fn run(jobs: ImportJobs, tracker: Arc<Tracker>, requested_by: Option<Evidence>) {
    let _heartbeat = AbortOnDrop(tokio::spawn(beat(tracker.clone())));
    let engine = {
        let (jobs, tracker) = (jobs.clone(), tracker.clone());
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            runtime.block_on(run_engine(&jobs, &tracker, requested_by))
        })
    };
    if let Err(e) = engine.await {
        tracing::warn!(error = %e, "an import's engine task failed");
    }
    let job = tracker.snapshot().await;
    jobs.0.spool.remove(&job.id);
    jobs.0
        .running
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&job.id);
}

/// Saves the row every [`HEARTBEAT`] until the job ends.
async fn beat(tracker: Arc<Tracker>) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        if let Err(e) = tracker.update(|_| {}).await {
            tracing::warn!(error = %e, "an import's heartbeat failed");
            if tracker.snapshot().await.status.is_final() {
                return;
            }
        }
    }
}

/// Aborts a task when dropped (with the task that holds it, when that one is aborted).
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run_engine(jobs: &ImportJobs, tracker: &Arc<Tracker>, requested_by: Option<Evidence>) {
    let Ok(_turn) = jobs.0.permits.acquire().await else {
        return;
    };
    let _running = jobs.0.metrics.running();
    if let Err(e) = tracker.update(|j| j.start(Timestamp::now())).await {
        tracing::warn!(error = %e, "an import could not start");
        return;
    }
    let job = tracker.snapshot().await;
    let store: Arc<dyn TransferStore> = Arc::new(RecordingStore::new(
        jobs.0.store.clone() as Arc<dyn TransferStore>,
        tracker.clone(),
    ));
    let file = jobs.0.spool.path_of(&job.id);
    let outcome = engine::run(
        store,
        job.workspace.clone(),
        &file,
        &job.settings,
        requested_by,
        tracker,
    )
    .await;
    let now = Timestamp::now();
    let ended = match outcome {
        Ok(finished) => {
            tracker
                .update(|j| {
                    j.format = finished.format.or(j.format.take());
                    j.succeed(finished.counts, finished.report, now);
                })
                .await
        }
        Err(stopped) => {
            tracker
                .update(|j| j.fail(stopped.message, stopped.report, now))
                .await
        }
    };
    let job = tracker.snapshot().await;
    match ended {
        Ok(()) => {
            jobs.0.metrics.ended(job.status, 1);
            jobs.0.metrics.wrote(job.counts.rows_written);
            tracing::info!(import = %job.id, status = job.status.as_str(), rows_written = job.counts.rows_written, "import ended");
        }
        Err(e) => {
            tracing::warn!(import = %job.id, error = %e, "cannot record the end of an import")
        }
    }
}
