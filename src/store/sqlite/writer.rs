//! The single SQLite writer: one thread, one connection, group commit.
//!
//! Requests queue their writes here. The thread takes every write that is waiting,
//! runs each in its own savepoint inside one transaction, commits once (one fsync for
//! the whole group) and only then answers each request. A write that fails rolls back
//! its own savepoint and fails only its own request.

use super::map_sqlite_error;
use crate::store::StoreError;
use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::oneshot;

/// Most writes gathered into one transaction.
const MAX_GROUP: usize = 512;

type Finish = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

trait WriteJob: Send {
    /// Runs the write inside the open transaction; the returned closure answers the
    /// request once the commit's outcome is known.
    fn run(self: Box<Self>, conn: &Connection) -> Finish;
    /// Answers the request without running it.
    fn abort(self: Box<Self>, error: StoreError);
}

struct Job<F, T> {
    op: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<F, T> WriteJob for Job<F, T>
where
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Box<Self>, conn: &Connection) -> Finish {
        let Job { op, reply } = *self;
        let result = in_savepoint(conn, op);
        Box::new(move |commit| {
            // The requester may have gone (timeout); nothing to do then.
            let _ = reply.send(commit.and(result));
        })
    }

    fn abort(self: Box<Self>, error: StoreError) {
        let _ = self.reply.send(Err(error));
    }
}

fn in_savepoint<T>(
    conn: &Connection,
    op: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    // Cached statements: parsing these three per write showed up in the profile.
    let run = |sql: &str| -> Result<(), StoreError> {
        conn.prepare_cached(sql)
            .and_then(|mut statement| statement.execute([]))
            .map(|_| ())
            .map_err(map_sqlite_error)
    };
    run("SAVEPOINT job")?;
    let result = catch_unwind(AssertUnwindSafe(|| op(conn)))
        .unwrap_or_else(|_| Err(StoreError::Internal("a write panicked".to_owned())));
    if result.is_err() {
        run("ROLLBACK TO job")?;
    }
    run("RELEASE job")?;
    result
}

/// How much grouping the writer achieved: the benchmark's storage baseline replays
/// its updates with the same number of writes per commit.
#[derive(Debug, Default)]
pub struct WriterStats {
    commits: AtomicU64,
    writes: AtomicU64,
}

impl WriterStats {
    /// Transactions committed (or attempted) so far.
    pub fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Writes run so far, in every group.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }
}

/// The handle requests use to queue writes; cloning it shares the one writer.
#[derive(Clone)]
pub struct Writer {
    queue: Sender<Box<dyn WriteJob>>,
    stats: Arc<WriterStats>,
}

impl Writer {
    /// Starts the writer thread on `conn`; it stops when every handle is dropped.
    pub fn start(conn: Connection) -> std::io::Result<Writer> {
        let (queue, jobs) = crossbeam_channel::unbounded::<Box<dyn WriteJob>>();
        let stats = Arc::new(WriterStats::default());
        let counted = Arc::clone(&stats);
        std::thread::Builder::new()
            .name("sqlite-writer".to_owned())
            .spawn(move || write_loop(&conn, &jobs, &counted))?;
        Ok(Writer { queue, stats })
    }

    /// Commits and writes so far.
    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// Runs `op` in the next group and returns its result once it is committed.
    pub async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Box::new(Job { op, reply }))
            .map_err(|_| StoreError::Unavailable("the writer has stopped".to_owned()))?;
        answer
            .await
            .map_err(|_| StoreError::Internal("the writer dropped a request".to_owned()))?
    }
}

fn write_loop(conn: &Connection, jobs: &Receiver<Box<dyn WriteJob>>, stats: &WriterStats) {
    while let Ok(first) = jobs.recv() {
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            let error = map_sqlite_error(e);
            first.abort(error.clone());
            for job in jobs.try_iter() {
                job.abort(error.clone());
            }
            continue;
        }
        let mut finishes = vec![first.run(conn)];
        while finishes.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => finishes.push(job.run(conn)),
                Err(_) => break,
            }
        }
        stats.commits.fetch_add(1, Ordering::Relaxed);
        stats
            .writes
            .fetch_add(finishes.len() as u64, Ordering::Relaxed);
        let commit = conn.execute_batch("COMMIT").map_err(map_sqlite_error);
        if commit.is_err() {
            let _ = conn.execute_batch("ROLLBACK");
        }
        for finish in finishes {
            finish(commit.clone());
        }
    }
}
