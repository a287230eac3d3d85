//! Dashboard sessions: [`SessionStore`] on PostgreSQL.

use super::PostgresStore;
use super::keys::{KEY_COLUMNS, keys_from_rows};
use super::statements::Sql;
use crate::domain::ids::ApiKeyId;
use crate::domain::session::{SessionHash, SessionTimes};
use crate::domain::timestamp::Timestamp;
use crate::store::{FoundSession, SessionStore, StoreError};
use async_trait::async_trait;
use deadpool_postgres::Client;

async fn find_session(
    client: &Client,
    hash: SessionHash,
) -> Result<Option<FoundSession>, StoreError> {
    let Some(row) = client
        .row_opt(
            "SELECT key_id, created_at, last_seen_at FROM sessions WHERE id_sha256 = $1",
            &[&&hash.0[..]],
        )
        .await?
    else {
        return Ok(None);
    };
    let key_id: String = row.try_get(0)?;
    let times = SessionTimes {
        created_at: Timestamp::from_millis(row.try_get(1)?),
        last_seen_at: Timestamp::from_millis(row.try_get(2)?),
    };
    let rows = client
        .rows(
            &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE id = $1"),
            &[&key_id],
        )
        .await?;
    Ok(keys_from_rows(client, &rows)
        .await?
        .into_iter()
        .next()
        .map(|(key, _)| FoundSession { times, key }))
}

#[async_trait]
impl SessionStore for PostgresStore {
    async fn create_session(
        &self,
        hash: SessionHash,
        key: &ApiKeyId,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.timed_write(async {
            self.client()
                .await?
                .run(
                    "INSERT INTO sessions (id_sha256, key_id, created_at, last_seen_at) \
                     VALUES ($1, $2, $3, $3)",
                    &[&&hash.0[..], &key.as_str(), &now.millis()],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn find_session(&self, hash: SessionHash) -> Result<Option<FoundSession>, StoreError> {
        // Always the primary: a session just begun, or a key just revoked, must be seen.
        self.timed(async { find_session(&self.client().await?, hash).await })
            .await
    }

    async fn touch_session(&self, hash: SessionHash, now: Timestamp) -> Result<(), StoreError> {
        self.timed_write(async {
            self.client()
                .await?
                .run(
                    "UPDATE sessions SET last_seen_at = $2 WHERE id_sha256 = $1",
                    &[&&hash.0[..], &now.millis()],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn delete_session(&self, hash: SessionHash) -> Result<(), StoreError> {
        self.timed_write(async {
            self.client()
                .await?
                .run("DELETE FROM sessions WHERE id_sha256 = $1", &[&&hash.0[..]])
                .await?;
            Ok(())
        })
        .await
    }

    async fn prune_sessions(
        &self,
        idle_before: Timestamp,
        begun_before: Timestamp,
    ) -> Result<u64, StoreError> {
        self.timed_write(async {
            Ok(self
                .client()
                .await?
                .run(
                    "DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2",
                    &[&idle_before.millis(), &begun_before.millis()],
                )
                .await?)
        })
        .await
    }
}
