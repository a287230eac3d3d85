//! Group commit for PostgreSQL PUTs, as the SQLite writer does it: requests queue their
//! update here, and each of a few writer tasks takes every update waiting (up to
//! `batch_size`), applies them in one transaction (`write_batch`) and answers each request
//! once that transaction has committed. Nothing waits on purpose: a batch is whatever
//! queued while the previous ones were in flight, so a lone request goes straight through
//! and a busy node gathers many updates per commit. `writers` batches run at once, each
//! on its own pool connection, so one slow batch (a row lock held elsewhere) does not
//! stop the others.

use super::errors::map_pool_error;
use super::statements::{self, StatementMode};
use super::write_batch::{self, Answer, PutJob};
use crate::store::StoreError;
use deadpool_postgres::Pool;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{Mutex, mpsc, oneshot};

/// How the batcher runs.
#[derive(Debug, Clone, Copy)]
pub struct BatchSettings {
    /// Most updates in one transaction.
    pub batch_size: usize,
    /// Batches in flight at once.
    pub writers: usize,
    /// How the statements are sent.
    pub mode: StatementMode,
    /// Longest a batch may take, waiting for its connection included.
    pub timeout: Duration,
}

/// Commits and updates so far.
#[derive(Debug, Default)]
pub struct BatchStats {
    commits: AtomicU64,
    writes: AtomicU64,
}

impl BatchStats {
    /// Transactions of batched updates run so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Updates run so far, in every batch.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }
}

struct Queued {
    job: PutJob,
    reply: oneshot::Sender<Answer>,
}

type Queue = Arc<Mutex<mpsc::UnboundedReceiver<Queued>>>;

/// The handle requests queue their updates on; the writers stop when it is dropped.
pub struct Batcher {
    queue: mpsc::UnboundedSender<Queued>,
    stats: Arc<BatchStats>,
}

impl Batcher {
    /// Starts the writer tasks on the current Tokio runtime.
    pub fn start(pool: Pool, settings: BatchSettings) -> Batcher {
        let (queue, jobs) = mpsc::unbounded_channel();
        let jobs: Queue = Arc::new(Mutex::new(jobs));
        let stats = Arc::new(BatchStats::default());
        for _ in 0..settings.writers.max(1) {
            tokio::spawn(write_loop(
                pool.clone(),
                Arc::clone(&jobs),
                settings,
                Arc::clone(&stats),
            ));
        }
        Batcher { queue, stats }
    }

    /// Commits and updates so far.
    pub fn stats(&self) -> &BatchStats {
        &self.stats
    }

    /// Runs `job` in the next batch; its answer once that batch has committed.
    pub async fn update(&self, job: PutJob) -> Answer {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Queued { job, reply }).map_err(|_| {
            StoreError::Unavailable("the PostgreSQL writers have stopped".to_owned())
        })?;
        answer
            .await
            .map_err(|_| StoreError::Internal("a PostgreSQL batch dropped a request".to_owned()))?
    }
}

/// Takes what is waiting (at least one update), up to `most`; `None` once the queue is
/// closed and empty.
async fn next_batch(queue: &Queue, most: usize) -> Option<Vec<Queued>> {
    let mut jobs = queue.lock().await;
    let first = jobs.recv().await?;
    let mut batch = vec![first];
    while batch.len() < most {
        match jobs.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some(batch)
}

async fn write_loop(pool: Pool, queue: Queue, settings: BatchSettings, stats: Arc<BatchStats>) {
    while let Some(mut batch) = next_batch(&queue, settings.batch_size.max(1)).await {
        // A request that gave up (its deadline passed) is not written.
        batch.retain(|queued| !queued.reply.is_closed());
        if batch.is_empty() {
            continue;
        }
        let (jobs, replies): (Vec<PutJob>, Vec<oneshot::Sender<Answer>>) =
            batch.into_iter().map(|q| (q.job, q.reply)).unzip();
        stats.commits.fetch_add(1, Ordering::Relaxed);
        stats.writes.fetch_add(jobs.len() as u64, Ordering::Relaxed);
        let count = jobs.len();
        // Its own task, so a panic fails this batch's requests and not the writer.
        let run = tokio::spawn(run_batch(pool.clone(), jobs, settings));
        let answers = match run.await {
            Ok(answers) => answers,
            Err(_) => (0..count)
                .map(|_| {
                    Err(StoreError::Internal(
                        "a PostgreSQL batch panicked".to_owned(),
                    ))
                })
                .collect(),
        };
        for (reply, answer) in replies.into_iter().zip(answers) {
            // The requester may have gone meanwhile; nothing to do then.
            let _ = reply.send(answer);
        }
    }
}

async fn run_batch(pool: Pool, jobs: Vec<PutJob>, settings: BatchSettings) -> Vec<Answer> {
    let failed_all = |e: StoreError| jobs.iter().map(|_| Err(e.clone())).collect::<Vec<_>>();
    let run = statements::with_mode(settings.mode, async {
        match pool.get().await {
            Ok(mut client) => write_batch::apply(&mut client, &jobs).await,
            Err(e) => failed_all(map_pool_error(e)),
        }
    });
    match tokio::time::timeout(settings.timeout, run).await {
        Ok(answers) => answers,
        Err(_) => failed_all(StoreError::Unavailable(format!(
            "PostgreSQL did not answer within {} s",
            settings.timeout.as_secs()
        ))),
    }
}
