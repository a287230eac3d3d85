//! [`TransferStore`] on SQLite: rows moved as they are for `purrlist copy` and `export`,
//! and the chunks of an import (planned and written in `import.rs`; one writer job, so one commit).
//! Events keep their seq: an explicit rowid in an AUTOINCREMENT table also moves
//! `sqlite_sequence` past it, so new events continue after the copied ones.

use super::SqliteStore;
use super::admin::{KEY_COLUMNS, insert_api_key, insert_workspace, key_from_row, list_workspaces};
use super::events::{EVENT_COLUMNS, EVENTS_WITH_EVIDENCE, event_from_row};
use super::rows::{CONTACT_COLUMNS, contact_from_row, insert_contacts_if_new};
use crate::domain::api_key::{ApiKey, KeyHash};
use crate::domain::contact::Contact;
use crate::domain::events::StoredEvent;
use crate::domain::idempotency::{IdempotencyRecord, StoredResponse};
use crate::domain::ids::{ApiKeyId, ContactId, WorkspaceId};
use crate::domain::import_plan::{ImportItem, ImportPlan};
use crate::domain::suppression::SuppressionsByEmail;
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::store::{
    ChunkOutcomes, ContactQuery, IdempotencyEntry, ImportOutcome, ImportRows, ImportWrite,
    StoreError, TransferStore,
};
use async_trait::async_trait;
use rusqlite::{Connection, params};

/// Every key with its hash, oldest first.
fn export_api_keys(conn: &Connection) -> Result<Vec<(ApiKey, KeyHash)>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS}, secret_sha256 FROM api_keys ORDER BY created_at, id"
    ))?;
    let keys = stmt
        .query_map([], |r| {
            let hash: Vec<u8> = r.get(6)?;
            let hash: [u8; 32] = hash.try_into().map_err(|_| {
                rusqlite::Error::FromSqlConversionFailure(
                    6,
                    rusqlite::types::Type::Blob,
                    "a stored key hash is not 32 bytes".into(),
                )
            })?;
            Ok((key_from_row(conn, r)?, KeyHash(hash)))
        })?
        .collect::<Result<_, _>>()?;
    Ok(keys)
}

/// Up to `limit` contacts of a workspace after `after`, in (createdAt, id) order.
fn export_contacts(
    conn: &Connection,
    workspace: &WorkspaceId,
    after: Option<&(Timestamp, ContactId)>,
    limit: u32,
) -> Result<Vec<Contact>, StoreError> {
    let (created, id) = match after {
        Some((t, id)) => (t.millis(), id.as_str()),
        None => (i64::MIN, ""),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = ?1 \
         AND (created_at, id) > (?2, ?3) ORDER BY created_at, id LIMIT ?4"
    ))?;
    let rows = stmt.query_map(
        params![workspace.as_str(), created, id, i64::from(limit)],
        contact_from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stores rows as given, skipping any whose id is already there.
fn import(conn: &Connection, rows: &ImportRows) -> Result<(), StoreError> {
    for workspace in &rows.workspaces {
        insert_workspace(conn, workspace, "INSERT OR IGNORE")?;
    }
    for (key, hash) in &rows.keys {
        insert_api_key(conn, key, *hash, "INSERT OR IGNORE")?;
    }
    insert_contacts_if_new(conn, &rows.contacts)?;
    import_events(conn, &rows.events)?;
    import_idempotency(conn, &rows.idempotency)?;
    Ok(())
}

fn export_events(
    conn: &Connection,
    after: i64,
    limit: u32,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows: Vec<Result<StoredEvent, StoreError>> = conn
        .prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM {EVENTS_WITH_EVIDENCE} WHERE e.seq > ?1 ORDER BY e.seq LIMIT ?2"
        ))?
        .query_map(params![after, i64::from(limit)], event_from_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().collect()
}

fn count_events(conn: &Connection, workspace: &WorkspaceId) -> Result<u64, StoreError> {
    let count: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM contact_events WHERE workspace_id = ?1")?
        .query_row([workspace.as_str()], |r| r.get(0))?;
    Ok(count as u64)
}

fn export_idempotency(
    conn: &Connection,
    since: Timestamp,
) -> Result<Vec<IdempotencyEntry>, StoreError> {
    let mut statement = conn.prepare_cached(
        "SELECT api_key_id, idem_key, request_hash, status, content_type, etag, body, created_at \
         FROM idempotency_keys WHERE done = 1 AND created_at >= ?1 ORDER BY created_at, api_key_id, idem_key",
    )?;
    let rows = statement.query_map([since.millis()], |r| {
        Ok(IdempotencyEntry {
            api_key: ApiKeyId::from_stored(r.get(0)?),
            key: r.get(1)?,
            record: IdempotencyRecord {
                request_hash: r.get(2)?,
                response: Some(StoredResponse {
                    status: r.get::<_, i64>(3)?.try_into().unwrap_or(500),
                    content_type: r.get(4)?,
                    etag: r.get(5)?,
                    body: r.get::<_, Option<Vec<u8>>>(6)?.unwrap_or_default(),
                }),
                created_at: Timestamp::from_millis(r.get(7)?),
            },
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Stores events with their seq and evidence, skipping seqs already stored.
fn import_events(conn: &Connection, events: &[StoredEvent]) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO contact_events (seq, workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (seq) DO NOTHING",
    )?;
    let mut insert_evidence = conn.prepare_cached(
        "INSERT INTO contact_event_evidence (seq, evidence) VALUES (?1, ?2) ON CONFLICT (seq) DO NOTHING",
    )?;
    for e in events {
        insert_evidence.execute(params![e.seq, e.evidence.to_json().to_string()])?;
        insert.execute(params![
            e.seq,
            e.event.workspace_id.as_str(),
            e.event.contact_id.as_str(),
            e.event.kind.as_str(),
            e.event.changes_json(),
            e.actor.stored_kind(),
            e.actor.key_id(),
            e.created_at.millis(),
        ])?;
    }
    Ok(())
}

/// Stores finished idempotency records, keeping any already stored under the same keys.
fn import_idempotency(conn: &Connection, entries: &[IdempotencyEntry]) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO idempotency_keys \
         (api_key_id, idem_key, request_hash, done, status, content_type, etag, body, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
    )?;
    for entry in entries {
        let response = entry.record.response.as_ref();
        insert.execute(params![
            entry.api_key.as_str(),
            entry.key,
            entry.record.request_hash,
            response.is_some(),
            response.map(|r| i64::from(r.status)),
            response.and_then(|r| r.content_type.clone()),
            response.and_then(|r| r.etag.clone()),
            response.map(|r| r.body.clone()),
            entry.record.created_at.millis(),
        ])?;
    }
    Ok(())
}

/// Upserts chunk after chunk in the caller's transaction. A rejected plan writes nothing
/// (`contacts::upsert` plans before it writes), so stopping there keeps earlier chunks whole.
#[async_trait]
impl TransferStore for SqliteStore {
    async fn export_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.readers.read(list_workspaces).await
    }

    async fn export_api_keys(&self) -> Result<Vec<(ApiKey, KeyHash)>, StoreError> {
        self.readers.read(export_api_keys).await
    }

    async fn export_contacts(
        &self,
        workspace: &WorkspaceId,
        after: Option<(Timestamp, ContactId)>,
        limit: u32,
    ) -> Result<Vec<Contact>, StoreError> {
        let workspace = workspace.clone();
        self.readers
            .read(move |conn| export_contacts(conn, &workspace, after.as_ref(), limit))
            .await
    }

    async fn count_contacts(&self, workspace: &WorkspaceId) -> Result<u64, StoreError> {
        let query = ContactQuery::count_of(workspace.clone());
        self.readers
            .read(move |conn| Ok(super::list::list(conn, &query)?.total))
            .await
    }

    async fn suppressions_of_emails(
        &self,
        workspace: &WorkspaceId,
        emails: &[&str],
    ) -> Result<SuppressionsByEmail, StoreError> {
        let workspace = workspace.clone();
        let emails: Vec<String> = emails.iter().map(|e| (*e).to_owned()).collect();
        self.readers
            .read(move |conn| {
                let emails: Vec<&str> = emails.iter().map(String::as_str).collect();
                super::suppressions::suppressions_of(conn, &workspace, &emails)
            })
            .await
    }

    async fn export_events(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        self.readers
            .read(move |conn| export_events(conn, after, limit))
            .await
    }

    async fn count_events(&self, workspace: &WorkspaceId) -> Result<u64, StoreError> {
        let workspace = workspace.clone();
        self.readers
            .read(move |conn| count_events(conn, &workspace))
            .await
    }

    async fn export_idempotency(
        &self,
        since: Timestamp,
    ) -> Result<Vec<IdempotencyEntry>, StoreError> {
        self.readers
            .read(move |conn| export_idempotency(conn, since))
            .await
    }

    async fn import(&self, rows: ImportRows) -> Result<(), StoreError> {
        self.writer.write(move |conn| import(conn, &rows)).await
    }

    async fn import_contact_chunks(
        &self,
        workspace: WorkspaceId,
        chunks: Vec<Vec<ImportItem>>,
        write: ImportWrite,
    ) -> Result<ChunkOutcomes<ImportOutcome>, StoreError> {
        self.writer
            .write(move |conn| super::import::import_chunks(conn, &workspace, &chunks, &write))
            .await
    }

    async fn plan_import_chunk(
        &self,
        workspace: WorkspaceId,
        items: Vec<ImportItem>,
        earlier: Vec<Contact>,
        write: ImportWrite,
    ) -> Result<ImportPlan, StoreError> {
        self.readers
            .read(move |conn| super::import::plan_chunk(conn, &workspace, &items, earlier, &write))
            .await
    }
}
