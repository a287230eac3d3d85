//! [`FormKeyStore`] on SQLite: the `form_keys` table, lists kept as JSON arrays.

use super::SqliteStore;
use crate::domain::form_key::{FormKey, FormKeyId, FormKeySettings};
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::store::{FormKeyStore, StoreError};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

const COLUMNS: &str =
    "id, workspace_id, name, allowed_origins, redirect_url, custom_fields, created_at, revoked_at";

fn list_from_json(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn key_from_row(r: &Row<'_>) -> rusqlite::Result<FormKey> {
    let origins: String = r.get(3)?;
    let fields: String = r.get(5)?;
    Ok(FormKey {
        id: FormKeyId::from_stored(r.get(0)?),
        workspace_id: WorkspaceId::from_stored(r.get(1)?),
        settings: FormKeySettings {
            name: r.get(2)?,
            allowed_origins: list_from_json(&origins),
            redirect_url: r.get(4)?,
            custom_fields: list_from_json(&fields),
        },
        created_at: Timestamp::from_millis(r.get(6)?),
        revoked_at: r.get::<_, Option<i64>>(7)?.map(Timestamp::from_millis),
    })
}

fn create(conn: &Connection, key: &FormKey) -> Result<(), StoreError> {
    let s = &key.settings;
    conn.prepare_cached(&format!(
        "INSERT INTO form_keys ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
         ON CONFLICT (id) DO NOTHING"
    ))?
    .execute(params![
        key.id.as_str(),
        key.workspace_id.as_str(),
        s.name,
        serde_json::to_string(&s.allowed_origins).unwrap_or_else(|_| "[]".into()),
        s.redirect_url,
        serde_json::to_string(&s.custom_fields).unwrap_or_else(|_| "[]".into()),
        key.created_at.millis(),
        key.revoked_at.map(Timestamp::millis),
    ])?;
    Ok(())
}

fn get(conn: &Connection, id: &FormKeyId) -> Result<Option<FormKey>, StoreError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM form_keys WHERE id = ?1"))?
        .query_row([id.as_str()], key_from_row)
        .optional()?)
}

fn list(conn: &Connection, workspace: Option<&WorkspaceId>) -> Result<Vec<FormKey>, StoreError> {
    let keys: Vec<FormKey> = match workspace {
        Some(w) => conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM form_keys WHERE workspace_id = ?1 ORDER BY created_at, id"
            ))?
            .query_map([w.as_str()], key_from_row)?
            .collect::<Result<_, _>>()?,
        None => conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM form_keys ORDER BY created_at, id"
            ))?
            .query_map([], key_from_row)?
            .collect::<Result<_, _>>()?,
    };
    Ok(keys)
}

fn revoke(conn: &Connection, id: &FormKeyId, now: Timestamp) -> Result<bool, StoreError> {
    conn.prepare_cached("UPDATE form_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1")?
        .execute(params![id.as_str(), now.millis()])
        .map(|n| n > 0)
        .map_err(StoreError::from)
}

#[async_trait]
impl FormKeyStore for SqliteStore {
    async fn create_form_key(&self, key: FormKey) -> Result<(), StoreError> {
        self.writer.write(move |conn| create(conn, &key)).await
    }

    async fn get_form_key(&self, id: &FormKeyId) -> Result<Option<FormKey>, StoreError> {
        let id = id.clone();
        self.readers.read(move |conn| get(conn, &id)).await
    }

    async fn list_form_keys(
        &self,
        workspace: Option<WorkspaceId>,
    ) -> Result<Vec<FormKey>, StoreError> {
        self.readers
            .read(move |conn| list(conn, workspace.as_ref()))
            .await
    }

    async fn revoke_form_key(&self, id: &FormKeyId, now: Timestamp) -> Result<bool, StoreError> {
        let id = id.clone();
        self.writer.write(move |conn| revoke(conn, &id, now)).await
    }
}
