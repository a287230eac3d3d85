//! The embedded default: one SQLite file in WAL mode, `synchronous=FULL` unless told
//! otherwise, one writer thread with group commit and a pool of read connections.
//! Each capability trait is implemented in the module that holds its SQL (`admin`,
//! `contacts`, `events`, `idempotency`, `transfer`, `unsubscribe`, `webhooks`, `suppressions`
//! with `erasure` and `suppression_copy`): writes go to the
//! writer thread, reads to the reader pool.

mod admin;
mod checkpointer;
mod confirmations;
mod contact_search;
mod contacts;
mod daily_counts;
mod erasure;
mod events;
mod files;
mod form_keys;
mod idempotency;
mod import;
mod imports;
mod inbound;
mod list;
mod privacy_export;
mod readers;
mod rows;
mod schema;
mod sessions;
mod suppression_copy;
mod suppressions;
mod transfer;
mod unsubscribe;
mod webhook_copy;
mod webhook_deleted;
mod webhook_delivery;
mod webhook_endpoints;
mod webhooks;
mod writer;

use crate::store::StoreError;
use checkpointer::Checkpointer;
pub use files::{ServerLock, create_private};
use readers::Readers;
use rusqlite::{Connection, ErrorCode, OpenFlags};
use std::path::Path;
use std::time::Duration;
use writer::Writer;

/// How durable a commit is (SQLite's `synchronous` pragma in WAL mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// Every commit is fsynced: an acknowledged write survives power loss (the default).
    #[default]
    Full,
    /// Commits survive a crash of purrlist, but the last ones may be lost on power loss.
    Normal,
}

/// SQLite settings.
#[derive(Debug, Clone, Copy)]
pub struct SqliteOptions {
    /// Durability of each commit.
    pub synchronous: Synchronous,
    /// Read connections for the server (one more is opened for background threads).
    pub readers: usize,
    /// How long to wait for a lock held by another process (a CLI command, say).
    pub busy_timeout: Duration,
    /// Tuned for one long stream of big writes (`purrlist import`) rather than for serving.
    pub bulk_load: bool,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous: Synchronous::Full,
            readers: 4,
            busy_timeout: Duration::from_secs(5),
            bulk_load: false,
        }
    }
}

/// The SQLite store.
pub struct SqliteStore {
    writer: Writer,
    readers: Readers,
    _checkpointer: Checkpointer,
}

/// Page cache of the server's writer, in KiB: it re-reads the pages of recent writes.
const WRITER_CACHE_KIB: u32 = 16_000;
/// Page cache of the writer in a bulk load, in KiB: random inserts into the id, email and
/// unsubscribe-token indexes of a million contacts (about 150 MB of index pages) stay in
/// memory instead of being written out and read back.
const BULK_LOAD_WRITER_CACHE_KIB: u32 = 256_000;
/// Page cache of each reader (and the checkpointer), in KiB: small, because the OS page
/// cache holds the file once for all of them, and five large caches filled up to ~80 MB.
const READER_CACHE_KIB: u32 = 4_000;

fn configure(conn: &Connection, options: &SqliteOptions, cache_kib: u32) -> rusqlite::Result<()> {
    conn.busy_timeout(options.busy_timeout)?;
    let sync = match options.synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = {sync}; PRAGMA cache_size = -{cache_kib};"
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl SqliteStore {
    /// Opens (creating and migrating if needed) the database file at `path`.
    pub fn open(path: &Path, options: &SqliteOptions) -> anyhow::Result<SqliteStore> {
        use anyhow::Context;
        if path.as_os_str().is_empty() {
            anyhow::bail!("the SQLite URL names no file (expected sqlite://PATH)");
        }
        files::create_if_missing(path)?;
        files::warn_if_shared(path);
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the SQLite database {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .context("cannot switch SQLite to WAL mode")?;
        if options.bulk_load {
            configure(&conn, options, BULK_LOAD_WRITER_CACHE_KIB)?;
            // Statement journals (the page copies SQLite keeps to undo one statement or
            // savepoint, as for an UPDATE that fires a counts trigger) spill to a temporary file
            // past 64 KiB and stay one for the transaction: a third of an import's time.
            // The server keeps the default: in memory they held ~40 MB more resident
            // memory under bulk upserts (M1 in bench/README.md).
            conn.pragma_update(None, "temp_store", "MEMORY")?;
        } else {
            configure(&conn, options, WRITER_CACHE_KIB)?;
        }
        schema::migrate(&conn).context("cannot migrate the SQLite database")?;
        // The checkpointer thread copies the WAL back; the writer only appends to it.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpoint_conn = Connection::open(path)?;
        configure(&checkpoint_conn, options, READER_CACHE_KIB)?;
        let reader = || -> anyhow::Result<Connection> {
            let reader = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )?;
            configure(&reader, options, READER_CACHE_KIB)?;
            Ok(reader)
        };
        let readers = (0..options.readers.max(1))
            .map(|_| reader())
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(SqliteStore {
            writer: Writer::start(conn)?,
            readers: Readers::new(readers, reader()?),
            _checkpointer: Checkpointer::start(checkpoint_conn)?,
        })
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        let stats = self.writer.stats();
        let (commits, writes) = (stats.commits(), stats.writes());
        if commits > 0 {
            // bench/run reads this line to size its storage baseline's batches.
            tracing::info!(
                commits,
                writes,
                writes_per_commit = writes as f64 / commits as f64,
                "sqlite writer stopped"
            );
        }
    }
}

/// Maps a driver error to the store's own; busy and I/O trouble may pass, so they are 503s.
pub(crate) fn map_sqlite_error(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable("the SQLite database is busy".to_owned())
        }
        Some(
            ErrorCode::DiskFull
            | ErrorCode::SystemIoFailure
            | ErrorCode::CannotOpen
            | ErrorCode::ReadOnly,
        ) => StoreError::Unavailable(format!("SQLite cannot write: {e}")),
        _ => StoreError::Internal(format!("SQLite: {e}")),
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        map_sqlite_error(e)
    }
}

/// Writes a consistent, compact copy of the database at `from` into the new file `to`
/// (`VACUUM INTO`, which reads one snapshot while the server keeps writing), made 0600
/// before anything is written to it. Returns the number of contacts in the copy, read back
/// from it.
pub fn backup_to(from: &Path, to: &Path) -> anyhow::Result<u64> {
    use anyhow::Context;
    if !from.exists() {
        anyhow::bail!("there is no database at {}", from.display());
    }
    let source = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", from.display()))?;
    source.busy_timeout(Duration::from_secs(30))?;
    let target = to.to_str().context("the backup path must be valid UTF-8")?;
    // VACUUM INTO writes into an empty file as into a new one, keeping its mode.
    files::create_private(to).with_context(|| format!("cannot create {}", to.display()))?;
    if let Err(e) = source.execute("VACUUM INTO ?1", [target]) {
        let _ = std::fs::remove_file(to);
        return Err(e).context("the backup failed");
    }
    let copy = Connection::open_with_flags(to, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let check: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        anyhow::bail!(
            "the backup at {} fails its integrity check: {check}",
            to.display()
        );
    }
    Ok(copy.query_row("SELECT COUNT(*) FROM contacts", [], |r| r.get::<_, i64>(0))? as u64)
}
