//! Idempotency keys on PostgreSQL ([`IdempotencyStore`]): the row is locked (or created) in one transaction and
//! `domain::idempotency::decide` rules, so two nodes never both start one key.

use super::PostgresStore;
use super::statements::Sql;
use crate::domain::idempotency::{
    IdempotencyBegin, IdempotencyClaim, IdempotencyRecord, StoredResponse, decide,
};
use crate::domain::ids::ApiKeyId;
use crate::domain::timestamp::Timestamp;
use crate::store::{IdempotencyStore, StoreError};
use async_trait::async_trait;
use deadpool_postgres::Client;

async fn locked_record(
    tx: &impl Sql,
    api_key: &ApiKeyId,
    key: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    let found = tx
        .row_opt(
            "SELECT request_hash, done, status, content_type, etag, body, created_at \
             FROM idempotency_keys WHERE api_key_id = $1 AND idem_key = $2 FOR UPDATE",
            &[&api_key.as_str(), &key],
        )
        .await?;
    let Some(row) = found else {
        return Ok(None);
    };
    let done: bool = row.try_get(1)?;
    let response = if done {
        let status: Option<i32> = row.try_get(2)?;
        Some(StoredResponse {
            status: status.and_then(|s| u16::try_from(s).ok()).unwrap_or(500),
            content_type: row.try_get(3)?,
            etag: row.try_get(4)?,
            body: row.try_get::<_, Option<Vec<u8>>>(5)?.unwrap_or_default(),
        })
    } else {
        None
    };
    Ok(Some(IdempotencyRecord {
        request_hash: row.try_get(0)?,
        response,
        created_at: Timestamp::from_millis(row.try_get(6)?),
    }))
}

async fn begin(
    client: &mut Client,
    api_key: &ApiKeyId,
    key: &str,
    claim: &IdempotencyClaim,
) -> Result<IdempotencyBegin, StoreError> {
    let tx = client.transaction().await?;
    // Make the row exist first, so the lock below always has a row to wait on.
    let inserted = tx
        .run(
            "INSERT INTO idempotency_keys (api_key_id, idem_key, request_hash, done, created_at) \
             VALUES ($1, $2, $3, false, $4) ON CONFLICT DO NOTHING",
            &[
                &api_key.as_str(),
                &key,
                &claim.request_hash,
                &claim.now.millis(),
            ],
        )
        .await?;
    if inserted == 1 {
        tx.commit().await?;
        return Ok(IdempotencyBegin::Started);
    }
    let existing = locked_record(&tx, api_key, key).await?;
    let decision = decide(existing.as_ref(), claim);
    if decision == IdempotencyBegin::Started {
        tx.run(
            "UPDATE idempotency_keys SET request_hash = $3, done = false, status = NULL, \
             content_type = NULL, etag = NULL, body = NULL, created_at = $4 \
             WHERE api_key_id = $1 AND idem_key = $2",
            &[
                &api_key.as_str(),
                &key,
                &claim.request_hash,
                &claim.now.millis(),
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(decision)
}

async fn finish(
    client: &Client,
    api_key: &ApiKeyId,
    key: &str,
    response: &StoredResponse,
) -> Result<(), StoreError> {
    client
        .run(
            "UPDATE idempotency_keys SET done = true, status = $3, content_type = $4, etag = $5, body = $6 \
             WHERE api_key_id = $1 AND idem_key = $2 AND NOT done",
            &[
                &api_key.as_str(),
                &key,
                &i32::from(response.status),
                &response.content_type,
                &response.etag,
                &response.body,
            ],
        )
        .await?;
    Ok(())
}

async fn release(client: &Client, api_key: &ApiKeyId, key: &str) -> Result<(), StoreError> {
    client
        .run(
            "DELETE FROM idempotency_keys WHERE api_key_id = $1 AND idem_key = $2 AND NOT done",
            &[&api_key.as_str(), &key],
        )
        .await?;
    Ok(())
}

async fn prune(client: &Client, before: Timestamp) -> Result<u64, StoreError> {
    Ok(client
        .run(
            "DELETE FROM idempotency_keys WHERE created_at < $1",
            &[&before.millis()],
        )
        .await?)
}

#[async_trait]
impl IdempotencyStore for PostgresStore {
    async fn begin_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        claim: IdempotencyClaim,
    ) -> Result<IdempotencyBegin, StoreError> {
        self.timed(async { begin(&mut self.client().await?, &api_key, &key, &claim).await })
            .await
    }

    async fn finish_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        response: StoredResponse,
    ) -> Result<(), StoreError> {
        self.timed(async { finish(&self.client().await?, &api_key, &key, &response).await })
            .await
    }

    async fn release_idempotent(&self, api_key: ApiKeyId, key: String) -> Result<(), StoreError> {
        self.timed(async { release(&self.client().await?, &api_key, &key).await })
            .await
    }

    async fn prune_idempotency(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.timed(async { prune(&self.client().await?, before).await })
            .await
    }
}
