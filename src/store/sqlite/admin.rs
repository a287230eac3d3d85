//! Workspaces and API keys.

use super::rows::insert_contacts_if_new;
use crate::domain::api_key::{ApiKey, KeyHash, WorkspaceGrant};
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::store::{ImportRows, StoreError};
use rusqlite::{Connection, OptionalExtension, Row, params};

fn insert_workspace(
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

pub fn create_workspace(
    conn: &Connection,
    name: String,
    now: Timestamp,
) -> Result<Workspace, StoreError> {
    let workspace = Workspace {
        id: WorkspaceId::generate(),
        name,
        created_at: now,
    };
    insert_workspace(conn, &workspace, "INSERT")?;
    Ok(workspace)
}

/// Runs inside the writer's transaction, so the check and the inserts are one step.
pub fn create_first_workspace(
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

/// Stores rows as given, skipping any whose id is already there.
pub fn import(conn: &Connection, rows: &ImportRows) -> Result<(), StoreError> {
    for workspace in &rows.workspaces {
        insert_workspace(conn, workspace, "INSERT OR IGNORE")?;
    }
    for (key, hash) in &rows.keys {
        check_listed_workspaces(conn, key)?;
        insert_api_key(conn, key, *hash, "INSERT OR IGNORE")?;
    }
    insert_contacts_if_new(conn, &rows.contacts)?;
    super::transfer::import_events(conn, &rows.events)?;
    super::transfer::import_idempotency(conn, &rows.idempotency)?;
    Ok(())
}

pub fn list_workspaces(conn: &Connection) -> Result<Vec<Workspace>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT id, name, created_at FROM workspaces ORDER BY created_at, id")?;
    let rows = stmt.query_map([], |r| {
        Ok(Workspace {
            id: WorkspaceId::from_stored(r.get(0)?),
            name: r.get(1)?,
            created_at: Timestamp::from_millis(r.get(2)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn workspace_exists(conn: &Connection, id: &WorkspaceId) -> Result<bool, StoreError> {
    let found = conn
        .prepare_cached("SELECT 1 FROM workspaces WHERE id = ?1")?
        .query_row([id.as_str()], |_| Ok(()))
        .optional()?;
    Ok(found.is_some())
}

fn check_listed_workspaces(conn: &Connection, key: &ApiKey) -> Result<(), StoreError> {
    if let WorkspaceGrant::Listed(list) = &key.grant {
        for workspace in list {
            if !workspace_exists(conn, workspace)? {
                return Err(StoreError::UnknownWorkspace(workspace.to_string()));
            }
        }
    }
    Ok(())
}

pub fn create_api_key(conn: &Connection, key: &ApiKey, hash: KeyHash) -> Result<(), StoreError> {
    check_listed_workspaces(conn, key)?;
    insert_api_key(conn, key, hash, "INSERT")
}

fn insert_api_key(
    conn: &Connection,
    key: &ApiKey,
    hash: KeyHash,
    verb: &str,
) -> Result<(), StoreError> {
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

const KEY_COLUMNS: &str = "id, name, all_workspaces, read_only, created_at, revoked_at";

/// Every key with its hash, oldest first.
pub fn export_api_keys(conn: &Connection) -> Result<Vec<(ApiKey, KeyHash)>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS}, secret_sha256 FROM api_keys ORDER BY created_at, id"
    ))?;
    let keys = stmt
        .query_map([], |r| {
            let hash: Vec<u8> = r.get(6)?;
            let hash: [u8; 32] = hash.try_into().map_err(|_| {
                rusqlite::Error::FromSqlConversionFailure(
                    6,
                    rusqlite::types::Type::Blob,
                    "a stored key hash is not 32 bytes".into(),
                )
            })?;
            Ok((key_from_row(conn, r)?, KeyHash(hash)))
        })?
        .collect::<Result<_, _>>()?;
    Ok(keys)
}

fn key_from_row(conn: &Connection, row: &Row<'_>) -> rusqlite::Result<ApiKey> {
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

pub fn list_api_keys(conn: &Connection) -> Result<Vec<ApiKey>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"
    ))?;
    let keys = stmt
        .query_map([], |r| key_from_row(conn, r))?
        .collect::<Result<_, _>>()?;
    Ok(keys)
}

pub fn revoke_api_key(
    conn: &Connection,
    id: &ApiKeyId,
    now: Timestamp,
) -> Result<bool, StoreError> {
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

pub fn find_api_key(conn: &Connection, hash: KeyHash) -> Result<Option<ApiKey>, StoreError> {
    let key = conn
        .prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_sha256 = ?1"
        ))?
        .query_row([&hash.0[..]], |r| key_from_row(conn, r))
        .optional()?;
    Ok(key)
}
