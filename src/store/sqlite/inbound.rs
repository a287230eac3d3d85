//! [`InboundStore`] on SQLite: secrets in `inbound_secrets`, reports through the writer.

use super::SqliteStore;
use super::events::record;
use crate::domain::events::{ContactEvent, EventKind};
use crate::domain::evidence::Origin;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::inbound::InboundSecretRow;
use crate::store::{InboundStore, StoreError};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

#[async_trait]
impl InboundStore for SqliteStore {
    async fn set_inbound_secret(
        &self,
        workspace: &WorkspaceId,
        secret_hash: String,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let workspace = workspace.clone();
        self.writer
            .write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO inbound_secrets (workspace_id, secret_hash, created_at) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (workspace_id) DO UPDATE SET secret_hash = excluded.secret_hash, \
                     created_at = excluded.created_at",
                )?
                .execute(params![workspace.as_str(), secret_hash, now.millis()])?;
                Ok(())
            })
            .await
    }

    async fn inbound_secret_hash(
        &self,
        workspace: &WorkspaceId,
    ) -> Result<Option<String>, StoreError> {
        let workspace = workspace.clone();
        self.readers
            .read(move |conn| {
                Ok(conn
                    .prepare_cached(
                        "SELECT secret_hash FROM inbound_secrets WHERE workspace_id = ?1",
                    )?
                    .query_row([workspace.as_str()], |r| r.get(0))
                    .optional()?)
            })
            .await
    }

    async fn record_report(
        &self,
        workspace: &WorkspaceId,
        contact: &ContactId,
        origin: Origin,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let event = ContactEvent {
            kind: EventKind::Reported,
            contact_id: contact.clone(),
            workspace_id: workspace.clone(),
            changes: serde_json::Map::new(),
        };
        self.writer
            .write(move |conn| {
                let exists: Option<i64> = conn
                    .prepare_cached("SELECT 1 FROM contacts WHERE id = ?1 AND workspace_id = ?2")?
                    .query_row(
                        params![event.contact_id.as_str(), event.workspace_id.as_str()],
                        |r| r.get(0),
                    )
                    .optional()?;
                if exists.is_none() {
                    return Ok(false);
                }
                record(conn, &event, &origin.actor, &origin.evidence, now)?;
                Ok(true)
            })
            .await
    }

    async fn export_inbound_secrets(&self) -> Result<Vec<InboundSecretRow>, StoreError> {
        self.readers
            .read(|conn| {
                let rows = conn
                    .prepare_cached(
                        "SELECT workspace_id, secret_hash, created_at FROM inbound_secrets \
                         ORDER BY workspace_id",
                    )?
                    .query_map([], |r| {
                        Ok(InboundSecretRow {
                            workspace: WorkspaceId::from_stored(r.get(0)?),
                            secret_hash: r.get(1)?,
                            created_at: Timestamp::from_millis(r.get(2)?),
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(rows)
            })
            .await
    }

    async fn import_inbound_secrets(&self, rows: Vec<InboundSecretRow>) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                let mut insert = conn.prepare_cached(
                    "INSERT INTO inbound_secrets (workspace_id, secret_hash, created_at) \
                     VALUES (?1, ?2, ?3) ON CONFLICT (workspace_id) DO NOTHING",
                )?;
                for row in &rows {
                    insert.execute(params![
                        row.workspace.as_str(),
                        row.secret_hash,
                        row.created_at.millis()
                    ])?;
                }
                Ok(())
            })
            .await
    }
}
