//! Group commit for PostgreSQL PUTs, as the SQLite writer does it: requests queue their
//! update here, and a writer task takes every update waiting (up to `batch_size`), applies
//! them in one transaction (`write_batch`) and answers each request once that transaction
//! has committed. Nothing waits on purpose: a batch is whatever queued while the previous
//! one was in flight, so a lone request goes straight through and a busy node gathers many
//! updates per commit.
//!
//! One batch is in flight at a time while batches commit promptly: a second one started
//! beside it would split the same queue into two smaller commits, and that costs. Measured
//! (bench/README.md, log 29): with 64 connections one node ran 8.4 PUTs per commit with
//! four batches in flight and 23.6 with one, at the same rate; three nodes on one core
//! went from about half of one node's rate to 0.8 of it. Up to `writers` batches run at
//! once only when the youngest in flight has run [`OVERLAP_AFTER`]: a batch held up by a
//! row lock elsewhere (a long bulk upsert, an `idle in transaction` session) then does
//! not stop the others for longer than that. Each in-flight batch has its own pool
//! connection.
use super::errors::map_pool_error;
use super::statements::{self, StatementMode};
use super::write_batch::{self, Answer, PutJob};
use crate::store::StoreError;
use deadpool_postgres::Pool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Duration;
use tokio::sync::{Mutex, Notify, mpsc, oneshot};
use tokio::time::Instant;

/// How long the youngest batch in flight runs before another writer may start one beside
/// it. Under load a batch commits in a few milliseconds here; one that takes this long is
/// waiting (a row lock, a slow disk, a distant server), and then overlapping pays.
pub const OVERLAP_AFTER: Duration = Duration::from_millis(50);

/// How the batcher runs.
#[derive(Debug, Clone, Copy)]
pub struct BatchSettings {
    /// Most updates in one transaction.
    pub batch_size: usize,
    /// Most batches in flight at once (more than one only past `overlap_after`).
    pub writers: usize,
    /// How long the youngest batch in flight runs before another may start beside it.
    pub overlap_after: Duration,
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

/// The batches in flight, by when they began, and a signal when one ends.
#[derive(Default)]
struct InFlight {
    began: std::sync::Mutex<Vec<(u64, Instant)>>,
    next: AtomicU64,
    ended: Notify,
}

impl InFlight {
    fn youngest(&self) -> Option<Instant> {
        let began = self.began.lock().unwrap_or_else(PoisonError::into_inner);
        began.iter().map(|(_, at)| *at).max()
    }

    /// Returns once no batch in flight began less than `overlap_after` ago.
    async fn turn(&self, overlap_after: Duration) {
        loop {
            // Registered before the check, so an end between the two is not missed.
            let ended = self.ended.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            let Some(youngest) = self.youngest() else {
                return;
            };
            let until = youngest + overlap_after;
            if Instant::now() >= until {
                return;
            }
            let _ = tokio::time::timeout_at(until, ended).await;
        }
    }

    fn begin(self: &Arc<Self>) -> Flight {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut began = self.began.lock().unwrap_or_else(PoisonError::into_inner);
        began.push((id, Instant::now()));
        Flight {
            id,
            in_flight: Arc::clone(self),
        }
    }
}

/// One batch in flight; it ends when dropped.
struct Flight {
    id: u64,
    in_flight: Arc<InFlight>,
}

impl Drop for Flight {
    fn drop(&mut self) {
        let mut began = self
            .in_flight
            .began
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        began.retain(|(id, _)| *id != self.id);
        drop(began);
        self.in_flight.ended.notify_waiters();
    }
}

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
        let in_flight = Arc::new(InFlight::default());
        for _ in 0..settings.writers.max(1) {
            tokio::spawn(write_loop(
                pool.clone(),
                Arc::clone(&jobs),
                Arc::clone(&in_flight),
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

/// Takes what is waiting (at least one update), up to `most`, once it is this writer's
/// turn (see [`InFlight::turn`]): the batch and its place in flight, taken before the queue
/// is let go so the next writer sees it. `None` once the queue is closed and empty.
async fn next_batch(
    queue: &Queue,
    in_flight: &Arc<InFlight>,
    settings: &BatchSettings,
) -> Option<(Vec<Queued>, Flight)> {
    let mut jobs = queue.lock().await;
    let first = jobs.recv().await?;
    // What queues meanwhile joins this batch.
    in_flight.turn(settings.overlap_after).await;
    let mut batch = vec![first];
    while batch.len() < settings.batch_size.max(1) {
        match jobs.try_recv() {
            Ok(job) => batch.push(job),
            Err(_) => break,
        }
    }
    Some((batch, in_flight.begin()))
}

async fn write_loop(
    pool: Pool,
    queue: Queue,
    in_flight: Arc<InFlight>,
    settings: BatchSettings,
    stats: Arc<BatchStats>,
) {
    while let Some((mut batch, _flight)) = next_batch(&queue, &in_flight, &settings).await {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_writer_waits_for_the_batch_in_flight_until_it_ends() {
        let in_flight = Arc::new(InFlight::default());
        in_flight.turn(Duration::from_secs(3600)).await; // nothing in flight: at once
        let flight = in_flight.begin();
        let waiting = {
            let in_flight = Arc::clone(&in_flight);
            tokio::spawn(async move { in_flight.turn(Duration::from_secs(3600)).await })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "a young batch is in flight");
        drop(flight);
        tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("the end of the batch lets it go")
            .expect("task");
        assert_eq!(in_flight.youngest(), None);
    }

    #[tokio::test]
    async fn a_batch_in_flight_too_long_lets_another_start_beside_it() {
        let in_flight = Arc::new(InFlight::default());
        let _stuck = in_flight.begin();
        tokio::time::timeout(
            Duration::from_secs(10),
            in_flight.turn(Duration::from_millis(10)),
        )
        .await
        .expect("past overlap_after, the next batch may start");
        let _beside = in_flight.begin();
        assert_eq!(in_flight.began.lock().map(|b| b.len()).ok(), Some(2));
    }
}
