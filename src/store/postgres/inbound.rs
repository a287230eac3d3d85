//! [`InboundStore`] on PostgreSQL: secrets in `inbound_secrets`; a report's event is
//! recorded with the contact's row locked, as every write of a contact is, so it keeps
//! its place in the contact's event order (`events` explains why).

use super::PostgresStore;
use super::events::record_events;
use super::statements::Sql;
use crate::domain::events::{ContactEvent, EventKind};
use crate::domain::evidence::{Origin, WriteEvidence};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::inbound::InboundSecretRow;
use crate::store::{InboundStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl InboundStore for PostgresStore {
    async fn set_inbound_secret(
        &self,
        workspace: &WorkspaceId,
        secret_hash: String,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.timed_write(async {
            self.client()
                .await?
                .run(
                    "INSERT INTO inbound_secrets (workspace_id, secret_hash, created_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (workspace_id) DO UPDATE SET secret_hash = EXCLUDED.secret_hash, \
                     created_at = EXCLUDED.created_at",
                    &[&workspace.as_str(), &secret_hash, &now.millis()],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn inbound_secret_hash(
        &self,
        workspace: &WorkspaceId,
    ) -> Result<Option<String>, StoreError> {
        self.timed(async {
            let row = self
                .client()
                .await?
                .row_opt(
                    "SELECT secret_hash FROM inbound_secrets WHERE workspace_id = $1",
                    &[&workspace.as_str()],
                )
                .await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?)
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
        self.timed_write(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            let locked = tx
                .row_opt(
                    "SELECT 1 FROM contacts WHERE id = $1 AND workspace_id = $2 FOR UPDATE",
                    &[&contact.as_str(), &workspace.as_str()],
                )
                .await?;
            if locked.is_none() {
                return Ok(false);
            }
            let event = ContactEvent {
                kind: EventKind::Reported,
                contact_id: contact.clone(),
                workspace_id: workspace.clone(),
                changes: serde_json::Map::new(),
            };
            record_events(
                &tx,
                &[event],
                &origin.actor,
                &WriteEvidence::same_for_all(&origin.evidence),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    async fn export_inbound_secrets(&self) -> Result<Vec<InboundSecretRow>, StoreError> {
        self.timed(async {
            let rows = self
                .client()
                .await?
                .rows(
                    "SELECT workspace_id, secret_hash, created_at FROM inbound_secrets \
                     ORDER BY workspace_id",
                    &[],
                )
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(InboundSecretRow {
                        workspace: WorkspaceId::from_stored(r.try_get(0)?),
                        secret_hash: r.try_get(1)?,
                        created_at: Timestamp::from_millis(r.try_get(2)?),
                    })
                })
                .collect()
        })
        .await
    }

    async fn import_inbound_secrets(&self, rows: Vec<InboundSecretRow>) -> Result<(), StoreError> {
        self.timed_write(async {
            let client = self.client().await?;
            for row in &rows {
                client
                    .run(
                        "INSERT INTO inbound_secrets (workspace_id, secret_hash, created_at) \
                         VALUES ($1, $2, $3) ON CONFLICT (workspace_id) DO NOTHING",
                        &[
                            &row.workspace.as_str(),
                            &row.secret_hash,
                            &row.created_at.millis(),
                        ],
                    )
                    .await?;
            }
            Ok(())
        })
        .await
    }
}
