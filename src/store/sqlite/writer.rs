//! The single SQLite writer: one thread, one connection, group commit.
//!
//! Requests queue their writes here. The thread takes every write that is waiting,
//! runs them in one transaction, commits once (one fsync for the whole group) and only
//! then answers each request. A write that fails is undone alone and fails only its own
//! request: the first write of a group is undone by rolling the transaction back (so it
//! needs no savepoint, which for a big write, an import's 50,000 rows, is a copy of every
//! page it touches), each later one by rolling back its own savepoint.

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

/// How a write ran: the closure that answers its request once the commit's outcome is
/// known, and whether the write failed (its changes must then be undone).
struct Ran {
    finish: Finish,
    failed: bool,
}

/// Whether a write runs in a savepoint of its own or, being first, in the bare transaction.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Undo {
    Savepoint,
    /// The caller rolls the whole transaction back if the write fails.
    Transaction,
}

trait WriteJob: Send {
    /// Runs the write inside the open transaction.
    fn run(self: Box<Self>, conn: &Connection, undo: Undo) -> Ran;
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
    fn run(self: Box<Self>, conn: &Connection, undo: Undo) -> Ran {
        let Job { op, reply } = *self;
        let result = match undo {
            Undo::Savepoint => in_savepoint(conn, op),
            Undo::Transaction => guarded(conn, op),
        };
        let failed = result.is_err();
        let finish: Finish = Box::new(move |commit| {
            // The requester may have gone (timeout); nothing to do then. A failed write
            // was undone, so its own error stands whatever the commit did.
            let answer = match result {
                Ok(value) => commit.map(|()| value),
                Err(e) => Err(e),
            };
            let _ = reply.send(answer);
        });
        Ran { finish, failed }
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
    let result = guarded(conn, op);
    if result.is_err() {
        run("ROLLBACK TO job")?;
    }
    run("RELEASE job")?;
    result
}

/// Runs `op`, turning a panic into an error.
fn guarded<T>(
    conn: &Connection,
    op: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    catch_unwind(AssertUnwindSafe(|| op(conn)))
        .unwrap_or_else(|_| Err(StoreError::Internal("a write panicked".to_owned())))
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
    let mut next = None;
    while let Some(first) = next.take().or_else(|| jobs.recv().ok()) {
        next = write_group(conn, first, jobs, stats);
    }
}

/// Runs one group, starting with `first`, and answers its requests. Returns the job that
/// starts the next group when `first` failed and its transaction had to be rolled back.
fn write_group(
    conn: &Connection,
    first: Box<dyn WriteJob>,
    jobs: &Receiver<Box<dyn WriteJob>>,
    stats: &WriterStats,
) -> Option<Box<dyn WriteJob>> {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let error = map_sqlite_error(e);
        first.abort(error.clone());
        for job in jobs.try_iter() {
            job.abort(error.clone());
        }
        return None;
    }
    let ran = first.run(conn, Undo::Transaction);
    if ran.failed {
        // Only the first write ran: rolling back undoes it alone.
        let rollback = conn.execute_batch("ROLLBACK").map_err(map_sqlite_error);
        (ran.finish)(rollback);
        return jobs.try_recv().ok();
    }
    let mut finishes = vec![ran.finish];
    while finishes.len() < MAX_GROUP {
        match jobs.try_recv() {
            Ok(job) => finishes.push(job.run(conn, Undo::Savepoint).finish),
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
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    type Answer = oneshot::Receiver<Result<i64, StoreError>>;

    /// A job that inserts `value` and then fails (or panics) if told to.
    fn job(value: i64, outcome: &'static str) -> (Box<dyn WriteJob>, Answer) {
        let (reply, answer) = oneshot::channel();
        let op = move |conn: &Connection| -> Result<i64, StoreError> {
            conn.execute("INSERT INTO t (x) VALUES (?1)", [value])
                .map_err(map_sqlite_error)?;
            match outcome {
                "fail" => Err(StoreError::Internal(format!("{value} failed"))),
                "panic" => panic!("{value} panicked"),
                _ => Ok(value),
            }
        };
        (Box::new(Job { op, reply }), answer)
    }

    /// Queues the jobs before the writer looks, so they form groups as under load.
    fn run_all(jobs: Vec<Box<dyn WriteJob>>) -> (Connection, WriterStats) {
        let conn = Connection::open_in_memory().expect("in-memory database");
        conn.execute_batch("CREATE TABLE t (x INTEGER NOT NULL)")
            .expect("table");
        let (queue, receiver) = crossbeam_channel::unbounded();
        for job in jobs {
            queue.send(job).expect("queued");
        }
        drop(queue);
        let stats = WriterStats::default();
        write_loop(&conn, &receiver, &stats);
        (conn, stats)
    }

    fn stored(conn: &Connection) -> Vec<i64> {
        let mut statement = conn.prepare("SELECT x FROM t ORDER BY x").expect("select");
        statement
            .query_map([], |row| row.get(0))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("values")
    }

    fn answered(mut answer: Answer) -> Result<i64, StoreError> {
        answer.try_recv().expect("every job is answered")
    }

    #[test]
    fn a_failing_first_write_is_undone_alone_and_the_rest_commit() {
        let (first, first_answer) = job(1, "fail");
        let (second, second_answer) = job(2, "ok");
        let (third, third_answer) = job(3, "ok");
        let (conn, stats) = run_all(vec![first, second, third]);
        assert!(matches!(
            answered(first_answer),
            Err(StoreError::Internal(_))
        ));
        assert_eq!(answered(second_answer).ok(), Some(2));
        assert_eq!(answered(third_answer).ok(), Some(3));
        assert_eq!(stored(&conn), vec![2, 3]);
        // The failed group is not counted; the rest is one group.
        assert_eq!((stats.commits(), stats.writes()), (1, 2));
    }

    #[test]
    fn a_failing_later_write_is_undone_alone_by_its_savepoint() {
        let (first, first_answer) = job(1, "ok");
        let (second, second_answer) = job(2, "fail");
        let (third, third_answer) = job(3, "ok");
        let (conn, stats) = run_all(vec![first, second, third]);
        assert_eq!(answered(first_answer).ok(), Some(1));
        assert!(answered(second_answer).is_err());
        assert_eq!(answered(third_answer).ok(), Some(3));
        assert_eq!(stored(&conn), vec![1, 3]);
        assert_eq!((stats.commits(), stats.writes()), (1, 3));
    }

    #[test]
    fn a_panicking_write_fails_its_own_request_wherever_it_is_in_the_group() {
        let (first, first_answer) = job(1, "panic");
        let (second, second_answer) = job(2, "ok");
        let (third, third_answer) = job(3, "panic");
        let (fourth, fourth_answer) = job(4, "ok");
        let (conn, _) = run_all(vec![first, second, third, fourth]);
        assert!(answered(first_answer).is_err());
        assert_eq!(answered(second_answer).ok(), Some(2));
        assert!(answered(third_answer).is_err());
        assert_eq!(answered(fourth_answer).ok(), Some(4));
        assert_eq!(stored(&conn), vec![2, 4]);
    }

    #[test]
    fn first_writes_failing_one_after_another_leave_nothing_behind() {
        let (first, first_answer) = job(1, "fail");
        let (second, second_answer) = job(2, "fail");
        let (third, third_answer) = job(3, "ok");
        let (conn, _) = run_all(vec![first, second, third]);
        assert!(answered(first_answer).is_err());
        assert!(answered(second_answer).is_err());
        assert_eq!(answered(third_answer).ok(), Some(3));
        assert_eq!(stored(&conn), vec![3]);
        assert!(conn.is_autocommit(), "no transaction is left open");
    }
}
