//! The change feed and idempotency records moved as they are, for `purrlist copy`, and
//! the many-chunk upsert of `purrlist import`.
//! Events keep their seq: an explicit rowid in an AUTOINCREMENT table also moves
//! `sqlite_sequence` past it, so new events continue after the copied ones.

use super::events::event_from_row;
use crate::domain::bulk::BulkItem;
use crate::domain::events::Actor;
use crate::domain::events::StoredEvent;
use crate::domain::idempotency::{IdempotencyRecord, StoredResponse};
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::{ChunkOutcomes, IdempotencyEntry, StoreError};
use rusqlite::{Connection, params};

pub fn export_events(
    conn: &Connection,
    after: i64,
    limit: u32,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows: Vec<Result<StoredEvent, StoreError>> = conn
        .prepare_cached(
            "SELECT seq, workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at \
             FROM contact_events WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?
        .query_map(params![after, i64::from(limit)], event_from_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().collect()
}

pub fn count_events(conn: &Connection, workspace: &WorkspaceId) -> Result<u64, StoreError> {
    let count: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM contact_events WHERE workspace_id = ?1")?
        .query_row([workspace.as_str()], |r| r.get(0))?;
    Ok(count as u64)
}

pub fn export_idempotency(
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

/// Stores events with their seq, skipping seqs already stored.
pub fn import_events(conn: &Connection, events: &[StoredEvent]) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO contact_events (seq, workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (seq) DO NOTHING",
    )?;
    for e in events {
        insert.execute(params![
            e.seq,
            e.event.workspace_id.as_str(),
            e.event.contact_id.as_str(),
            e.event.kind.as_str(),
            serde_json::Value::Object(e.event.changes.clone()).to_string(),
            e.actor.kind(),
            e.actor.key_id(),
            e.created_at.millis(),
        ])?;
    }
    Ok(())
}

/// Stores finished idempotency records, keeping any already stored under the same keys.
pub fn import_idempotency(
    conn: &Connection,
    entries: &[IdempotencyEntry],
) -> Result<(), StoreError> {
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
pub fn upsert_chunks(
    conn: &Connection,
    workspace: &WorkspaceId,
    chunks: &[Vec<BulkItem>],
    now: Timestamp,
    actor: &Actor,
) -> Result<ChunkOutcomes, StoreError> {
    let mut done = ChunkOutcomes::with_capacity(chunks.len());
    for items in chunks {
        if !done.record(super::contacts::upsert(conn, workspace, items, now, actor))? {
            break;
        }
    }
    Ok(done)
}
