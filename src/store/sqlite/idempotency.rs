//! Idempotency keys on SQLite ([`IdempotencyStore`]), decided by `domain::idempotency::decide` on the writer thread, so
//! two requests with one key never both start.

use super::SqliteStore;
use crate::domain::idempotency::{
    IdempotencyBegin, IdempotencyClaim, IdempotencyRecord, StoredResponse, decide,
};
use crate::domain::ids::ApiKeyId;
use crate::domain::timestamp::Timestamp;
use crate::store::{IdempotencyStore, StoreError};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

fn begin(
    conn: &Connection,
    api_key: &ApiKeyId,
    key: &str,
    claim: &IdempotencyClaim,
) -> Result<IdempotencyBegin, StoreError> {
    let existing = conn
        .prepare_cached(
            "SELECT request_hash, done, status, content_type, etag, body, created_at \
             FROM idempotency_keys WHERE api_key_id = ?1 AND idem_key = ?2",
        )?
        .query_row(params![api_key.as_str(), key], |r| {
            let done: bool = r.get(1)?;
            let response = if done {
                Some(StoredResponse {
                    status: r.get::<_, i64>(2)?.try_into().unwrap_or(500),
                    content_type: r.get(3)?,
                    etag: r.get(4)?,
                    body: r.get::<_, Option<Vec<u8>>>(5)?.unwrap_or_default(),
                })
            } else {
                None
            };
            Ok(IdempotencyRecord {
                request_hash: r.get(0)?,
                response,
                created_at: Timestamp::from_millis(r.get(6)?),
            })
        })
        .optional()?;
    let decision = decide(existing.as_ref(), claim);
    if decision == IdempotencyBegin::Started {
        conn.prepare_cached(
            "INSERT OR REPLACE INTO idempotency_keys \
             (api_key_id, idem_key, request_hash, done, status, content_type, etag, body, created_at) \
             VALUES (?1, ?2, ?3, 0, NULL, NULL, NULL, NULL, ?4)",
        )?
        .execute(params![
            api_key.as_str(),
            key,
            claim.request_hash,
            claim.now.millis()
        ])?;
    }
    Ok(decision)
}

fn finish(
    conn: &Connection,
    api_key: &ApiKeyId,
    key: &str,
    response: &StoredResponse,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE idempotency_keys SET done = 1, status = ?3, content_type = ?4, etag = ?5, body = ?6 \
         WHERE api_key_id = ?1 AND idem_key = ?2 AND done = 0",
    )?
    .execute(params![
        api_key.as_str(),
        key,
        i64::from(response.status),
        response.content_type,
        response.etag,
        response.body,
    ])?;
    Ok(())
}

fn release(conn: &Connection, api_key: &ApiKeyId, key: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "DELETE FROM idempotency_keys WHERE api_key_id = ?1 AND idem_key = ?2 AND done = 0",
    )?
    .execute(params![api_key.as_str(), key])?;
    Ok(())
}

fn prune(conn: &Connection, before: Timestamp) -> Result<u64, StoreError> {
    let removed = conn
        .prepare_cached("DELETE FROM idempotency_keys WHERE created_at < ?1")?
        .execute([before.millis()])?;
    Ok(removed as u64)
}

#[async_trait]
impl IdempotencyStore for SqliteStore {
    async fn begin_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        claim: IdempotencyClaim,
    ) -> Result<IdempotencyBegin, StoreError> {
        self.writer
            .write(move |conn| begin(conn, &api_key, &key, &claim))
            .await
    }

    async fn finish_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        response: StoredResponse,
    ) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| finish(conn, &api_key, &key, &response))
            .await
    }

    async fn release_idempotent(&self, api_key: ApiKeyId, key: String) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| release(conn, &api_key, &key))
            .await
    }

    async fn prune_idempotency(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.writer.write(move |conn| prune(conn, before)).await
    }
}
