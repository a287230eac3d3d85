//! Dashboard sessions: [`SessionStore`] on SQLite.

use super::SqliteStore;
use super::admin::{KEY_COLUMNS, key_from_row};
use crate::domain::ids::ApiKeyId;
use crate::domain::session::{SessionHash, SessionTimes};
use crate::domain::timestamp::Timestamp;
use crate::store::{FoundSession, SessionStore, StoreError};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

fn find_session(conn: &Connection, hash: SessionHash) -> Result<Option<FoundSession>, StoreError> {
    let row: Option<(String, i64, i64)> = conn
        .prepare_cached(
            "SELECT key_id, created_at, last_seen_at FROM sessions WHERE id_sha256 = ?1",
        )?
        .query_row([&hash.0[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let Some((key_id, created_at, last_seen_at)) = row else {
        return Ok(None);
    };
    let key = conn
        .prepare_cached(&format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = ?1"))?
        .query_row([&key_id], |r| key_from_row(conn, r))
        .optional()?;
    Ok(key.map(|key| FoundSession {
        times: SessionTimes {
            created_at: Timestamp::from_millis(created_at),
            last_seen_at: Timestamp::from_millis(last_seen_at),
        },
        key,
    }))
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(
        &self,
        hash: SessionHash,
        key: &ApiKeyId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let key = key.clone();
        self.writer
            .write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO sessions (id_sha256, key_id, created_at, last_seen_at) \
                     VALUES (?1, ?2, ?3, ?3)",
                )?
                .execute(params![&hash.0[..], key.as_str(), now.millis()])?;
                Ok(())
            })
            .await
    }

    async fn find_session(&self, hash: SessionHash) -> Result<Option<FoundSession>, StoreError> {
        self.readers
            .read(move |conn| find_session(conn, hash))
            .await
    }

    async fn touch_session(&self, hash: SessionHash, now: Timestamp) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                conn.prepare_cached("UPDATE sessions SET last_seen_at = ?2 WHERE id_sha256 = ?1")?
                    .execute(params![&hash.0[..], now.millis()])?;
                Ok(())
            })
            .await
    }

    async fn delete_session(&self, hash: SessionHash) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                conn.prepare_cached("DELETE FROM sessions WHERE id_sha256 = ?1")?
                    .execute([&hash.0[..]])?;
                Ok(())
            })
            .await
    }

    async fn prune_sessions(
        &self,
        idle_before: Timestamp,
        begun_before: Timestamp,
    ) -> Result<u64, StoreError> {
        self.writer
            .write(move |conn| {
                let removed = conn
                    .prepare_cached(
                        "DELETE FROM sessions WHERE last_seen_at < ?1 OR created_at < ?2",
                    )?
                    .execute(params![idle_before.millis(), begun_before.millis()])?;
                Ok(removed as u64)
            })
            .await
    }
}
