//! Workspaces and API keys: [`AdminStore`] on SQLite.

use super::SqliteStore;
use crate::domain::api_key::{ApiKey, KeyHash, WorkspaceGrant};
use crate::domain::error::DomainError;
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::store::{AdminStore, StoreError};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

/// Inserts a workspace; `verb` is `INSERT` or `INSERT OR IGNORE`.
pub(super) fn insert_workspace(
    conn: &Connection,
    workspace: &Workspace,
    verb: &str,
) -> Result<(), StoreError> {
    conn.prepare_cached(&format!(
        "{verb} INTO workspaces (id, name, created_at) VALUES (?1, ?2, ?3)"
    ))?
    .execute(params![
        workspace.id.as_str(),
        workspace.name,
        workspace.created_at.millis()
    ])?;
    Ok(())
}

/// Runs inside the writer's transaction, so the check and the inserts are one step.
fn create_first_workspace(
    conn: &Connection,
    workspace: &Workspace,
    key: &ApiKey,
    hash: KeyHash,
) -> Result<bool, StoreError> {
    let any = conn
        .prepare_cached("SELECT 1 FROM workspaces LIMIT 1")?
        .query_row([], |_| Ok(()))
        .optional()?;
    if any.is_some() {
        return Ok(false);
    }
    insert_workspace(conn, workspace, "INSERT")?;
    insert_api_key(conn, key, hash, "INSERT")?;
    Ok(true)
}

/// Every workspace, oldest first.
pub(super) fn list_workspaces(conn: &Connection) -> Result<Vec<Workspace>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, name, created_at FROM workspaces ORDER BY created_at, id")?;
    let rows = stmt.query_map([], workspace_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn workspace_from_row(r: &Row) -> rusqlite::Result<Workspace> {
    Ok(Workspace {
        id: WorkspaceId::from_stored(r.get(0)?),
        name: r.get(1)?,
        created_at: Timestamp::from_millis(r.get(2)?),
    })
}

/// Sets a workspace's name; `None` when there is no such workspace.
fn rename_workspace(
    conn: &Connection,
    id: &WorkspaceId,
    name: &str,
) -> Result<Option<Workspace>, StoreError> {
    Ok(conn
        .prepare_cached(
            "UPDATE workspaces SET name = ?2 WHERE id = ?1 RETURNING id, name, created_at",
        )?
        .query_row(params![id.as_str(), name], workspace_from_row)
        .optional()?)
}

fn workspace_exists(conn: &Connection, id: &WorkspaceId) -> Result<bool, StoreError> {
    let found = conn
        .prepare_cached("SELECT 1 FROM workspaces WHERE id = ?1")?
        .query_row([id.as_str()], |_| Ok(()))
        .optional()?;
    Ok(found.is_some())
}

/// Inserts a key and its grants; `verb` is `INSERT` or `INSERT OR IGNORE`. A listed
/// workspace that does not exist refuses the key.
pub(super) fn insert_api_key(
    conn: &Connection,
    key: &ApiKey,
    hash: KeyHash,
    verb: &str,
) -> Result<(), StoreError> {
    if let WorkspaceGrant::Listed(list) = &key.grant {
        for workspace in list {
            if !workspace_exists(conn, workspace)? {
                return Err(DomainError::UnknownWorkspace(workspace.to_string()).into());
            }
        }
    }
    conn.prepare_cached(&format!(
        "{verb} INTO api_keys (id, name, secret_sha256, all_workspaces, read_only, created_at, revoked_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
    ))?
    .execute(params![
        key.id.as_str(),
        key.name,
        &hash.0[..],
        key.grant == WorkspaceGrant::All,
        key.read_only,
        key.created_at.millis(),
        key.revoked_at.map(Timestamp::millis),
    ])?;
    if let WorkspaceGrant::Listed(list) = &key.grant {
        let mut stmt = conn.prepare_cached(
            "INSERT OR IGNORE INTO api_key_workspaces (key_id, workspace_id) VALUES (?1, ?2)",
        )?;
        for workspace in list {
            stmt.execute(params![key.id.as_str(), workspace.as_str()])?;
        }
    }
    Ok(())
}

/// The columns [`key_from_row`] reads, in its order.
pub(super) const KEY_COLUMNS: &str = "id, name, all_workspaces, read_only, created_at, revoked_at";

/// A key from a row selected with [`KEY_COLUMNS`], its grants read alongside.
pub(super) fn key_from_row(conn: &Connection, row: &Row<'_>) -> rusqlite::Result<ApiKey> {
    let id: String = row.get(0)?;
    let all: bool = row.get(2)?;
    let grant = if all {
        WorkspaceGrant::All
    } else {
        let mut stmt = conn.prepare_cached(
            "SELECT workspace_id FROM api_key_workspaces WHERE key_id = ?1 ORDER BY workspace_id",
        )?;
        let list = stmt
            .query_map([&id], |r| Ok(WorkspaceId::from_stored(r.get(0)?)))?
            .collect::<Result<_, _>>()?;
        WorkspaceGrant::Listed(list)
    };
    Ok(ApiKey {
        id: ApiKeyId::from_stored(id),
        name: row.get(1)?,
        grant,
        read_only: row.get(3)?,
        created_at: Timestamp::from_millis(row.get(4)?),
        revoked_at: row.get::<_, Option<i64>>(5)?.map(Timestamp::from_millis),
    })
}

fn list_api_keys(conn: &Connection) -> Result<Vec<ApiKey>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"
    ))?;
    let keys = stmt
        .query_map([], |r| key_from_row(conn, r))?
        .collect::<Result<_, _>>()?;
    Ok(keys)
}

fn revoke_api_key(conn: &Connection, id: &ApiKeyId, now: Timestamp) -> Result<bool, StoreError> {
    let exists = conn
        .prepare_cached("SELECT 1 FROM api_keys WHERE id = ?1")?
        .query_row([id.as_str()], |_| Ok(()))
        .optional()?
        .is_some();
    conn.prepare_cached(
        "UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    )?
    .execute(params![id.as_str(), now.millis()])?;
    Ok(exists)
}

fn find_api_key(conn: &Connection, hash: KeyHash) -> Result<Option<ApiKey>, StoreError> {
    let key = conn
        .prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_sha256 = ?1"
        ))?
        .query_row([&hash.0[..]], |r| key_from_row(conn, r))
        .optional()?;
    Ok(key)
}

#[async_trait]
impl AdminStore for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.readers
            .read(|conn| Ok(conn.query_row("SELECT 1", [], |_| Ok(()))?))
            .await
    }

    async fn create_workspace(
        &self,
        name: String,
        now: Timestamp,
    ) -> Result<Workspace, StoreError> {
        let workspace = Workspace::new(name, now);
        self.writer
            .write(move |conn| {
                insert_workspace(conn, &workspace, "INSERT")?;
                Ok(workspace)
            })
            .await
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.readers.read(list_workspaces).await
    }

    async fn workspace_exists(&self, id: &WorkspaceId) -> Result<bool, StoreError> {
        let id = id.clone();
        self.readers
            .read(move |conn| workspace_exists(conn, &id))
            .await
    }

    async fn rename_workspace(
        &self,
        id: &WorkspaceId,
        name: String,
    ) -> Result<Option<Workspace>, StoreError> {
        let id = id.clone();
        self.writer
            .write(move |conn| rename_workspace(conn, &id, &name))
            .await
    }

    async fn create_first_workspace(
        &self,
        workspace: Workspace,
        key: ApiKey,
        hash: KeyHash,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| create_first_workspace(conn, &workspace, &key, hash))
            .await
    }

    async fn create_api_key(&self, key: ApiKey, hash: KeyHash) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| insert_api_key(conn, &key, hash, "INSERT"))
            .await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.readers.read(list_api_keys).await
    }

    async fn revoke_api_key(&self, id: &ApiKeyId, now: Timestamp) -> Result<bool, StoreError> {
        let id = id.clone();
        self.writer
            .write(move |conn| revoke_api_key(conn, &id, now))
            .await
    }

    async fn find_api_key(&self, hash: KeyHash) -> Result<Option<ApiKey>, StoreError> {
        self.readers
            .read(move |conn| find_api_key(conn, hash))
            .await
    }
}
