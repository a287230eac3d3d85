//! The embedded default: one SQLite file in WAL mode, `synchronous=FULL` unless told
//! otherwise, one writer thread with group commit and a pool of read connections.

mod admin;
mod checkpointer;
mod contacts;
mod events;
mod idempotency;
mod readers;
mod rows;
mod schema;
mod transfer;
mod unsubscribe;
mod writer;

use crate::domain::api_key::{ApiKey, KeyHash, WorkspaceGrant};
use crate::domain::bulk::BulkItem;
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::events::{Actor, StoredEvent};
use crate::domain::idempotency::{IdempotencyBegin, IdempotencyClaim, StoredResponse};
use crate::domain::ids::{ApiKeyId, ContactId, UnsubToken, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::store::{
    BulkOutcome, ChunkOutcomes, ContactPage, ContactQuery, DeleteScope, EventQuery,
    IdempotencyEntry, ImportRows, Precondition, Store, StoreError, UnsubscribeTarget,
    UpdateOutcome,
};
use async_trait::async_trait;
use checkpointer::Checkpointer;
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
    /// Read connections.
    pub readers: usize,
    /// How long to wait for a lock held by another process (a CLI command, say).
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            synchronous: Synchronous::Full,
            readers: 4,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// The SQLite store.
pub struct SqliteStore {
    writer: Writer,
    readers: Readers,
    _checkpointer: Checkpointer,
}

/// Page cache of the writer, in KiB: it re-reads the pages of recent writes.
const WRITER_CACHE_KIB: u32 = 16_000;
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
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open the SQLite database {}", path.display()))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .context("cannot switch SQLite to WAL mode")?;
        configure(&conn, options, WRITER_CACHE_KIB)?;
        schema::migrate(&conn).context("cannot migrate the SQLite database")?;
        // The checkpointer thread copies the WAL back; the writer only appends to it.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpoint_conn = Connection::open(path)?;
        configure(&checkpoint_conn, options, READER_CACHE_KIB)?;
        let mut readers = Vec::with_capacity(options.readers.max(1));
        for _ in 0..options.readers.max(1) {
            let reader = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX
                    | OpenFlags::SQLITE_OPEN_URI,
            )?;
            configure(&reader, options, READER_CACHE_KIB)?;
            readers.push(reader);
        }
        Ok(SqliteStore {
            writer: Writer::start(conn)?,
            readers: Readers::new(readers),
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

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.readers
            .read(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    async fn create_workspace(
        &self,
        name: String,
        now: Timestamp,
    ) -> Result<Workspace, StoreError> {
        self.writer
            .write(move |conn| admin::create_workspace(conn, name, now))
            .await
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.readers.read(admin::list_workspaces).await
    }

    async fn workspace_exists(&self, id: &WorkspaceId) -> Result<bool, StoreError> {
        let id = id.clone();
        self.readers
            .read(move |conn| admin::workspace_exists(conn, &id))
            .await
    }

    async fn create_first_workspace(
        &self,
        workspace: Workspace,
        key: ApiKey,
        hash: KeyHash,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| admin::create_first_workspace(conn, &workspace, &key, hash))
            .await
    }

    async fn create_api_key(&self, key: ApiKey, hash: KeyHash) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| admin::create_api_key(conn, &key, hash))
            .await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.readers.read(admin::list_api_keys).await
    }

    async fn revoke_api_key(&self, id: &ApiKeyId, now: Timestamp) -> Result<bool, StoreError> {
        let id = id.clone();
        self.writer
            .write(move |conn| admin::revoke_api_key(conn, &id, now))
            .await
    }

    async fn find_api_key(&self, hash: KeyHash) -> Result<Option<ApiKey>, StoreError> {
        self.readers
            .read(move |conn| admin::find_api_key(conn, hash))
            .await
    }

    async fn get_contact(
        &self,
        id: &ContactId,
        grant: &WorkspaceGrant,
    ) -> Result<Option<Contact>, StoreError> {
        let (id, grant) = (id.clone(), grant.clone());
        let found = self
            .readers
            .read(move |conn| contacts::get(conn, &id))
            .await?;
        Ok(found.filter(|c| grant.includes(&c.workspace_id)))
    }

    async fn update_contact(
        &self,
        id: ContactId,
        grant: WorkspaceGrant,
        patch: ContactPatch,
        now: Timestamp,
        actor: Actor,
        precondition: Precondition,
    ) -> Result<UpdateOutcome, StoreError> {
        self.writer
            .write(move |conn| {
                let target = contacts::Target {
                    id: &id,
                    grant: &grant,
                    precondition: &precondition,
                };
                contacts::update(conn, &target, &patch, now, &actor)
            })
            .await
    }

    async fn upsert_contacts(
        &self,
        workspace: WorkspaceId,
        items: Vec<BulkItem>,
        now: Timestamp,
        actor: Actor,
    ) -> Result<BulkOutcome, StoreError> {
        self.writer
            .write(move |conn| contacts::upsert(conn, &workspace, &items, now, &actor))
            .await
    }

    async fn list_contacts(&self, query: ContactQuery) -> Result<ContactPage, StoreError> {
        self.readers
            .read(move |conn| contacts::list(conn, &query))
            .await
    }

    async fn delete_contact(
        &self,
        id: ContactId,
        grant: WorkspaceGrant,
        now: Timestamp,
        actor: Actor,
        precondition: Precondition,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| {
                let target = contacts::Target {
                    id: &id,
                    grant: &grant,
                    precondition: &precondition,
                };
                contacts::delete_one(conn, &target, now, &actor)
            })
            .await
    }

    async fn delete_contacts(
        &self,
        workspace: WorkspaceId,
        scope: DeleteScope,
        now: Timestamp,
        actor: Actor,
    ) -> Result<u64, StoreError> {
        self.writer
            .write(move |conn| contacts::delete_many(conn, &workspace, scope, now, &actor))
            .await
    }

    async fn list_events(&self, query: EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
        self.readers
            .read(move |conn| events::list(conn, &query))
            .await
    }

    async fn prune_events(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.writer
            .write(move |conn| events::prune(conn, before))
            .await
    }

    async fn begin_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        claim: IdempotencyClaim,
    ) -> Result<IdempotencyBegin, StoreError> {
        self.writer
            .write(move |conn| idempotency::begin(conn, &api_key, &key, &claim))
            .await
    }

    async fn finish_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        response: StoredResponse,
    ) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| idempotency::finish(conn, &api_key, &key, &response))
            .await
    }

    async fn release_idempotent(&self, api_key: ApiKeyId, key: String) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| idempotency::release(conn, &api_key, &key))
            .await
    }

    async fn prune_idempotency(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.writer
            .write(move |conn| idempotency::prune(conn, before))
            .await
    }

    async fn find_by_unsub_token(
        &self,
        token: &UnsubToken,
    ) -> Result<Option<UnsubscribeTarget>, StoreError> {
        let token = token.clone();
        self.readers
            .read(move |conn| unsubscribe::find(conn, &token))
            .await
    }

    async fn set_subscribed_by_token(
        &self,
        token: UnsubToken,
        subscribed: bool,
        now: Timestamp,
    ) -> Result<Option<UnsubscribeTarget>, StoreError> {
        self.writer
            .write(move |conn| unsubscribe::set_subscribed(conn, &token, subscribed, now))
            .await
    }

    async fn export_api_keys(&self) -> Result<Vec<(ApiKey, KeyHash)>, StoreError> {
        self.readers.read(admin::export_api_keys).await
    }

    async fn export_contacts(
        &self,
        workspace: &WorkspaceId,
        after: Option<(Timestamp, ContactId)>,
        limit: u32,
    ) -> Result<Vec<Contact>, StoreError> {
        let workspace = workspace.clone();
        self.readers
            .read(move |conn| contacts::export(conn, &workspace, after.as_ref(), limit))
            .await
    }

    async fn import(&self, rows: ImportRows) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| admin::import(conn, &rows))
            .await
    }

    async fn upsert_contact_chunks(
        &self,
        workspace: WorkspaceId,
        chunks: Vec<Vec<BulkItem>>,
        now: Timestamp,
        actor: Actor,
    ) -> Result<ChunkOutcomes, StoreError> {
        // One writer job, so one commit for many chunks: far fewer WAL pages per row.
        self.writer
            .write(move |conn| transfer::upsert_chunks(conn, &workspace, &chunks, now, &actor))
            .await
    }

    async fn export_events(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        self.readers
            .read(move |conn| transfer::export_events(conn, after, limit))
            .await
    }

    async fn count_events(&self, workspace: &WorkspaceId) -> Result<u64, StoreError> {
        let workspace = workspace.clone();
        self.readers
            .read(move |conn| transfer::count_events(conn, &workspace))
            .await
    }

    async fn export_idempotency(
        &self,
        since: Timestamp,
    ) -> Result<Vec<IdempotencyEntry>, StoreError> {
        self.readers
            .read(move |conn| transfer::export_idempotency(conn, since))
            .await
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        map_sqlite_error(e)
    }
}

/// Writes a consistent, compact copy of the database at `from` into the new file `to`
/// (`VACUUM INTO`, which reads one snapshot while the server keeps writing). Returns the
/// number of contacts in the copy, read back from it.
pub fn backup_to(from: &Path, to: &Path) -> anyhow::Result<u64> {
    use anyhow::Context;
    if !from.exists() {
        anyhow::bail!("there is no database at {}", from.display());
    }
    let source = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open {}", from.display()))?;
    source.busy_timeout(Duration::from_secs(30))?;
    let target = to.to_str().context("the backup path must be valid UTF-8")?;
    source
        .execute("VACUUM INTO ?1", [target])
        .context("the backup failed")?;
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
