//! [`TransferStore`] on PostgreSQL: rows moved as they are for `purrlist copy` and
//! `export`, and the chunks of an import (`import.rs`, each chunk its own transaction).
//! Events keep their seq (`OVERRIDING SYSTEM VALUE`); the identity sequence is then moved
//! past the highest stored seq, so new events continue after the copied ones. Copied events
//! get `feed_xid` 0 (`events.rs`): settled, before any new event, in seq order as on the
//! source. Exported events go out in seq order, which is each contact's order.

use super::PostgresStore;
use super::admin::{insert_workspace, list_workspaces};
use super::events::{EVENT_COLUMNS, EventRows, event_from_row};
use super::keys::{all_api_keys, insert_api_key};
use super::rows::{CONTACT_COLUMNS, OnConflict, contacts_from_rows, insert_contacts};
use super::statements::Sql;
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
use deadpool_postgres::Client;

/// Up to `limit` contacts of a workspace after `after`, in (createdAt, id) order.
async fn export_contacts(
    client: &Client,
    workspace: &WorkspaceId,
    after: Option<(Timestamp, ContactId)>,
    limit: u32,
) -> Result<Vec<Contact>, StoreError> {
    let (created, id) = match &after {
        Some((t, id)) => (t.millis(), id.as_str()),
        None => (i64::MIN, ""),
    };
    let rows = client
        .rows(
            &format!(
                "SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = $1 \
                 AND (created_at, id) > ($2, $3) ORDER BY created_at, id LIMIT $4"
            ),
            &[&workspace.as_str(), &created, &id, &i64::from(limit)],
        )
        .await?;
    contacts_from_rows(&rows)
}

/// Stores rows as given in one transaction, skipping any whose id is already there.
async fn import(client: &mut Client, rows: &ImportRows) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    for workspace in &rows.workspaces {
        insert_workspace(&tx, workspace, true).await?;
    }
    for (key, hash) in &rows.keys {
        insert_api_key(&tx, key, *hash, true).await?;
    }
    insert_contacts(&tx, &rows.contacts, OnConflict::SkipSameId).await?;
    import_events(&tx, &rows.events).await?;
    import_idempotency(&tx, &rows.idempotency).await?;
    tx.commit().await?;
    Ok(())
}

async fn export_events(
    client: &Client,
    after: i64,
    limit: u32,
) -> Result<Vec<StoredEvent>, StoreError> {
    let rows = client
        .rows(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM contact_events WHERE seq > $1 ORDER BY seq LIMIT $2"
            ),
            &[&after, &i64::from(limit)],
        )
        .await?;
    rows.iter().map(event_from_row).collect()
}

async fn count_events(client: &Client, workspace: &WorkspaceId) -> Result<u64, StoreError> {
    let count: i64 = client
        .row(
            "SELECT COUNT(*) FROM contact_events WHERE workspace_id = $1",
            &[&workspace.as_str()],
        )
        .await?
        .try_get(0)?;
    Ok(count as u64)
}

async fn export_idempotency(
    client: &Client,
    since: Timestamp,
) -> Result<Vec<IdempotencyEntry>, StoreError> {
    let rows = client
        .rows(
            "SELECT api_key_id, idem_key, request_hash, status, content_type, etag, body, created_at \
             FROM idempotency_keys WHERE done AND created_at >= $1 \
             ORDER BY created_at, api_key_id, idem_key",
            &[&since.millis()],
        )
        .await?;
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
async fn import_events(tx: &impl Sql, events: &[StoredEvent]) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
    let mut rows = EventRows::default();
    for e in events {
        rows.push(&e.event, &e.actor, &e.evidence, e.created_at);
    }
    tx.run(
        "INSERT INTO contact_events \
         (seq, workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at, evidence, feed_xid) \
         OVERRIDING SYSTEM VALUE \
         SELECT *, 0 FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], \
         $6::text[], $7::text[], $8::bigint[], $9::text[]) ON CONFLICT (seq) DO NOTHING",
        &[
            &seqs,
            &rows.workspaces,
            &rows.contacts,
            &rows.kinds,
            &rows.changes,
            &rows.actor_kinds,
            &rows.key_ids,
            &rows.times,
            &rows.evidence,
        ],
    )
    .await?;
    tx.run(
        "SELECT setval(s.name, m.top) FROM \
         (SELECT pg_get_serial_sequence('contact_events', 'seq')::regclass AS name) s, \
         (SELECT MAX(seq) AS top FROM contact_events) m \
         WHERE m.top > COALESCE(pg_sequence_last_value(s.name), 0)",
        &[],
    )
    .await?;
    Ok(())
}

/// Stores finished idempotency records, keeping any already stored under the same keys.
async fn import_idempotency(tx: &impl Sql, entries: &[IdempotencyEntry]) -> Result<(), StoreError> {
    const INSERT: &str = "INSERT INTO idempotency_keys \
         (api_key_id, idem_key, request_hash, done, status, content_type, etag, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING";
    for entry in entries {
        let response = entry.record.response.as_ref();
        let status = response.map(|r| i32::from(r.status));
        let content_type = response.and_then(|r| r.content_type.clone());
        let etag = response.and_then(|r| r.etag.clone());
        let body = response.map(|r| r.body.clone());
        tx.run(
            INSERT,
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

#[async_trait]
impl TransferStore for PostgresStore {
    async fn export_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.timed(async { list_workspaces(&self.client().await?).await })
            .await
    }

    async fn export_api_keys(&self) -> Result<Vec<(ApiKey, KeyHash)>, StoreError> {
        self.timed(async { all_api_keys(&self.client().await?).await })
            .await
    }

    async fn export_contacts(
        &self,
        workspace: &WorkspaceId,
        after: Option<(Timestamp, ContactId)>,
        limit: u32,
    ) -> Result<Vec<Contact>, StoreError> {
        self.timed(async { export_contacts(&self.client().await?, workspace, after, limit).await })
            .await
    }

    async fn count_contacts(&self, workspace: &WorkspaceId) -> Result<u64, StoreError> {
        let query = ContactQuery::count_of(workspace.clone());
        let (page, _) = self
            .timed(async { super::contacts::list(&mut self.client().await?, &query).await })
            .await?;
        Ok(page.total)
    }

    async fn suppressions_of_emails(
        &self,
        workspace: &WorkspaceId,
        emails: &[&str],
    ) -> Result<SuppressionsByEmail, StoreError> {
        self.timed(async {
            super::suppressions::suppressions_of(&self.client().await?, workspace, emails).await
        })
        .await
    }

    async fn export_events(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        self.timed(async { export_events(&self.client().await?, after, limit).await })
            .await
    }

    async fn count_events(&self, workspace: &WorkspaceId) -> Result<u64, StoreError> {
        self.timed(async { count_events(&self.client().await?, workspace).await })
            .await
    }

    async fn export_idempotency(
        &self,
        since: Timestamp,
    ) -> Result<Vec<IdempotencyEntry>, StoreError> {
        self.timed(async { export_idempotency(&self.client().await?, since).await })
            .await
    }

    async fn import(&self, rows: ImportRows) -> Result<(), StoreError> {
        self.timed(async { import(&mut self.client().await?, &rows).await })
            .await
    }

    async fn import_contact_chunks(
        &self,
        workspace: WorkspaceId,
        chunks: Vec<Vec<ImportItem>>,
        write: ImportWrite,
    ) -> Result<ChunkOutcomes<ImportOutcome>, StoreError> {
        // Each chunk in its own transaction and under its own deadline.
        let mut done = ChunkOutcomes::with_capacity(chunks.len());
        for items in chunks {
            let result = self
                .timed(async {
                    let mut client = self.client().await?;
                    super::import::import_chunk(&mut client, &workspace, &items, &write).await
                })
                .await;
            if !done.record(result)? {
                break;
            }
        }
        Ok(done)
    }

    async fn plan_import_chunk(
        &self,
        workspace: WorkspaceId,
        items: Vec<ImportItem>,
        earlier: Vec<Contact>,
        write: ImportWrite,
    ) -> Result<ImportPlan, StoreError> {
        self.timed(async {
            let client = self.client().await?;
            super::import::plan_chunk(&client, &workspace, &items, earlier, &write).await
        })
        .await
    }
}
