//! The change feed and idempotency records moved as they are, for `purrlist copy`.
//! Events keep their seq (`OVERRIDING SYSTEM VALUE`); the identity sequence is then moved
//! past the highest stored seq, so new events continue after the copied ones.

use super::events::event_from_row;
use crate::domain::events::StoredEvent;
use crate::domain::idempotency::{IdempotencyRecord, StoredResponse};
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::{IdempotencyEntry, StoreError};
use deadpool_postgres::{Client, GenericClient};

pub async fn export_events(
    client: &Client,
    after: i64,
    limit: u32,
) -> Result<Vec<StoredEvent>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT seq, workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at \
             FROM contact_events WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .await?;
    let rows = client
        .query(&statement, &[&after, &i64::from(limit)])
        .await?;
    rows.iter().map(event_from_row).collect()
}

pub async fn count_events(client: &Client, workspace: &WorkspaceId) -> Result<u64, StoreError> {
    let statement = client
        .prepare_cached("SELECT COUNT(*) FROM contact_events WHERE workspace_id = $1")
        .await?;
    let count: i64 = client
        .query_one(&statement, &[&workspace.as_str()])
        .await?
        .try_get(0)?;
    Ok(count as u64)
}

pub async fn export_idempotency(
    client: &Client,
    since: Timestamp,
) -> Result<Vec<IdempotencyEntry>, StoreError> {
    let statement = client
        .prepare_cached(
            "SELECT api_key_id, idem_key, request_hash, status, content_type, etag, body, created_at \
             FROM idempotency_keys WHERE done AND created_at >= $1 \
             ORDER BY created_at, api_key_id, idem_key",
        )
        .await?;
    let rows = client.query(&statement, &[&since.millis()]).await?;
    let mut entries = Vec::with_capacity(rows.len());
    for row in &rows {
        let status: Option<i32> = row.try_get(3)?;
        entries.push(IdempotencyEntry {
            api_key: ApiKeyId::from_stored(row.try_get(0)?),
            key: row.try_get(1)?,
            record: IdempotencyRecord {
                request_hash: row.try_get(2)?,
                response: Some(StoredResponse {
                    status: status.and_then(|s| u16::try_from(s).ok()).unwrap_or(500),
                    content_type: row.try_get(4)?,
                    etag: row.try_get(5)?,
                    body: row.try_get::<_, Option<Vec<u8>>>(6)?.unwrap_or_default(),
                }),
                created_at: Timestamp::from_millis(row.try_get(7)?),
            },
        });
    }
    Ok(entries)
}

/// Stores events with their seq, skipping seqs already stored, then moves the identity
/// sequence past the highest seq (never back).
pub async fn import_events(
    tx: &impl GenericClient,
    events: &[StoredEvent],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    let wks: Vec<&str> = events
        .iter()
        .map(|e| e.event.workspace_id.as_str())
        .collect();
    let ids: Vec<&str> = events.iter().map(|e| e.event.contact_id.as_str()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.event.kind.as_str()).collect();
    let changes: Vec<String> = events
        .iter()
        .map(|e| serde_json::Value::Object(e.event.changes.clone()).to_string())
        .collect();
    let actors: Vec<&str> = events.iter().map(|e| e.actor.kind()).collect();
    let key_ids: Vec<Option<&str>> = events.iter().map(|e| e.actor.key_id()).collect();
    let times: Vec<i64> = events.iter().map(|e| e.created_at.millis()).collect();
    let insert = tx
        .prepare_cached(
            "INSERT INTO contact_events \
             (seq, workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at) \
             OVERRIDING SYSTEM VALUE \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], \
             $6::text[], $7::text[], $8::bigint[]) ON CONFLICT (seq) DO NOTHING",
        )
        .await?;
    tx.execute(
        &insert,
        &[
            &seqs, &wks, &ids, &kinds, &changes, &actors, &key_ids, &times,
        ],
    )
    .await?;
    let advance = tx
        .prepare_cached(
            "SELECT setval(s.name, m.top) FROM \
             (SELECT pg_get_serial_sequence('contact_events', 'seq')::regclass AS name) s, \
             (SELECT MAX(seq) AS top FROM contact_events) m \
             WHERE m.top > COALESCE(pg_sequence_last_value(s.name), 0)",
        )
        .await?;
    tx.execute(&advance, &[]).await?;
    Ok(())
}

/// Stores finished idempotency records, keeping any already stored under the same keys.
pub async fn import_idempotency(
    tx: &impl GenericClient,
    entries: &[IdempotencyEntry],
) -> Result<(), StoreError> {
    let insert = tx
        .prepare_cached(
            "INSERT INTO idempotency_keys \
             (api_key_id, idem_key, request_hash, done, status, content_type, etag, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        )
        .await?;
    for entry in entries {
        let response = entry.record.response.as_ref();
        let status = response.map(|r| i32::from(r.status));
        let content_type = response.and_then(|r| r.content_type.clone());
        let etag = response.and_then(|r| r.etag.clone());
        let body = response.map(|r| r.body.clone());
        tx.execute(
            &insert,
            &[
                &entry.api_key.as_str(),
                &entry.key,
                &entry.record.request_hash,
                &response.is_some(),
                &status,
                &content_type,
                &etag,
                &body,
                &entry.record.created_at.millis(),
            ],
        )
        .await?;
    }
    Ok(())
}
