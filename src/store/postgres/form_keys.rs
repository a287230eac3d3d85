//! [`FormKeyStore`] on PostgreSQL: the `form_keys` table, lists kept as JSON text.

use super::PostgresStore;
use super::statements::Sql;
use crate::domain::form_key::{FormKey, FormKeyId, FormKeySettings};
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::store::{FormKeyStore, StoreError};
use async_trait::async_trait;
use tokio_postgres::Row;

const COLUMNS: &str =
    "id, workspace_id, name, allowed_origins, redirect_url, custom_fields, created_at, revoked_at";

fn list_from_json(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn key_from_row(r: &Row) -> Result<FormKey, StoreError> {
    let origins: String = r.try_get(3)?;
    let fields: String = r.try_get(5)?;
    Ok(FormKey {
        id: FormKeyId::from_stored(r.try_get(0)?),
        workspace_id: WorkspaceId::from_stored(r.try_get(1)?),
        settings: FormKeySettings {
            name: r.try_get(2)?,
            allowed_origins: list_from_json(&origins),
            redirect_url: r.try_get(4)?,
            custom_fields: list_from_json(&fields),
        },
        created_at: Timestamp::from_millis(r.try_get(6)?),
        revoked_at: r.try_get::<_, Option<i64>>(7)?.map(Timestamp::from_millis),
    })
}

#[async_trait]
impl FormKeyStore for PostgresStore {
    async fn create_form_key(&self, key: FormKey) -> Result<(), StoreError> {
        self.timed_write(async {
            let s = &key.settings;
            let origins = serde_json::to_string(&s.allowed_origins).unwrap_or_else(|_| "[]".into());
            let fields = serde_json::to_string(&s.custom_fields).unwrap_or_else(|_| "[]".into());
            self.client()
                .await?
                .run(
                    &format!(
                        "INSERT INTO form_keys ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                         ON CONFLICT (id) DO NOTHING"
                    ),
                    &[
                        &key.id.as_str(),
                        &key.workspace_id.as_str(),
                        &s.name,
                        &origins,
                        &s.redirect_url,
                        &fields,
                        &key.created_at.millis(),
                        &key.revoked_at.map(Timestamp::millis),
                    ],
                )
                .await?;
            Ok(())
        })
        .await
    }

    async fn get_form_key(&self, id: &FormKeyId) -> Result<Option<FormKey>, StoreError> {
        self.timed(async {
            let sql = format!("SELECT {COLUMNS} FROM form_keys WHERE id = $1");
            match self.client().await?.row_opt(&sql, &[&id.as_str()]).await? {
                Some(row) => Ok(Some(key_from_row(&row)?)),
                None => Ok(None),
            }
        })
        .await
    }

    async fn list_form_keys(
        &self,
        workspace: Option<WorkspaceId>,
    ) -> Result<Vec<FormKey>, StoreError> {
        self.timed(async {
            let client = self.client().await?;
            let rows = match &workspace {
                Some(w) => {
                    client
                        .rows(
                            &format!(
                                "SELECT {COLUMNS} FROM form_keys WHERE workspace_id = $1 ORDER BY created_at, id"
                            ),
                            &[&w.as_str()],
                        )
                        .await?
                }
                None => {
                    client
                        .rows(
                            &format!("SELECT {COLUMNS} FROM form_keys ORDER BY created_at, id"),
                            &[],
                        )
                        .await?
                }
            };
            rows.iter().map(key_from_row).collect()
        })
        .await
    }

    async fn revoke_form_key(&self, id: &FormKeyId, now: Timestamp) -> Result<bool, StoreError> {
        self.timed_write(async {
            let changed = self
                .client()
                .await?
                .run(
                    "UPDATE form_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
                    &[&id.as_str(), &now.millis()],
                )
                .await?;
            Ok(changed > 0)
        })
        .await
    }
}
