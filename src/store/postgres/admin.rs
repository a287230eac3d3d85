//! Workspaces, API keys, the first start and the rows `purrlist copy` moves.

use super::rows::{OnConflict, insert_contacts};
use crate::domain::api_key::{ApiKey, KeyHash, WorkspaceGrant};
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::store::{ImportRows, StoreError};
use deadpool_postgres::{Client, GenericClient};
use std::collections::HashMap;
use tokio_postgres::Row;

/// The advisory lock first starts hold, so nodes starting together make one workspace.
const FIRST_START_LOCK: i64 = 0x7075_726c_6973_7402;

fn workspace_from_row(row: &Row) -> Result<Workspace, StoreError> {
    Ok(Workspace {
        id: WorkspaceId::from_stored(row.try_get(0)?),
        name: row.try_get(1)?,
        created_at: Timestamp::from_millis(row.try_get(2)?),
    })
}

async fn insert_workspace(
    client: &impl GenericClient,
    workspace: &Workspace,
    skip_same_id: bool,
) -> Result<u64, StoreError> {
    let sql = if skip_same_id {
        "INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING"
    } else {
        "INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)"
    };
    let statement = client.prepare_cached(sql).await?;
    Ok(client
        .execute(
            &statement,
            &[
                &workspace.id.as_str(),
                &workspace.name,
                &workspace.created_at.millis(),
            ],
        )
        .await?)
}

pub async fn create_workspace(
    client: &Client,
    name: String,
    now: Timestamp,
) -> Result<Workspace, StoreError> {
    let workspace = Workspace {
        id: WorkspaceId::generate(),
        name,
        created_at: now,
    };
    insert_workspace(client, &workspace, false).await?;
    Ok(workspace)
}

pub async fn list_workspaces(client: &Client) -> Result<Vec<Workspace>, StoreError> {
    let statement = client
        .prepare_cached("SELECT id, name, created_at FROM workspaces ORDER BY created_at, id")
        .await?;
    client
        .query(&statement, &[])
        .await?
        .iter()
        .map(workspace_from_row)
        .collect()
}

async fn workspace_exists_in(
    client: &impl GenericClient,
    id: &WorkspaceId,
) -> Result<bool, StoreError> {
    let statement = client
        .prepare_cached("SELECT 1 FROM workspaces WHERE id = $1")
        .await?;
    Ok(client
        .query_opt(&statement, &[&id.as_str()])
        .await?
        .is_some())
}

pub async fn workspace_exists(client: &Client, id: &WorkspaceId) -> Result<bool, StoreError> {
    workspace_exists_in(client, id).await
}

/// Inserts a key and its grants; the caller owns the transaction.
async fn insert_api_key(
    client: &impl GenericClient,
    key: &ApiKey,
    hash: KeyHash,
    skip_same_id: bool,
) -> Result<(), StoreError> {
    if let WorkspaceGrant::Listed(list) = &key.grant {
        for workspace in list {
            if !workspace_exists_in(client, workspace).await? {
                return Err(StoreError::UnknownWorkspace(workspace.to_string()));
            }
        }
    }
    let conflict = if skip_same_id {
        " ON CONFLICT (id) DO NOTHING"
    } else {
        ""
    };
    let statement = client
        .prepare_cached(&format!(
            "INSERT INTO api_keys (id, name, secret_sha256, all_workspaces, read_only, created_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7){conflict}"
        ))
        .await?;
    client
        .execute(
            &statement,
            &[
                &key.id.as_str(),
                &key.name,
                &&hash.0[..],
                &(key.grant == WorkspaceGrant::All),
                &key.read_only,
                &key.created_at.millis(),
                &key.revoked_at.map(Timestamp::millis),
            ],
        )
        .await?;
    if let WorkspaceGrant::Listed(list) = &key.grant {
        let statement = client
            .prepare_cached(
                "INSERT INTO api_key_workspaces (key_id, workspace_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
            )
            .await?;
        for workspace in list {
            client
                .execute(&statement, &[&key.id.as_str(), &workspace.as_str()])
                .await?;
        }
    }
    Ok(())
}

pub async fn create_api_key(
    client: &mut Client,
    key: &ApiKey,
    hash: KeyHash,
) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    insert_api_key(&tx, key, hash, false).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn create_first_workspace(
    client: &mut Client,
    workspace: &Workspace,
    key: &ApiKey,
    hash: KeyHash,
) -> Result<bool, StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FIRST_START_LOCK])
        .await?;
    if tx
        .query_opt("SELECT 1 FROM workspaces LIMIT 1", &[])
        .await?
        .is_some()
    {
        return Ok(false);
    }
    insert_workspace(&tx, workspace, false).await?;
    insert_api_key(&tx, key, hash, false).await?;
    tx.commit().await?;
    Ok(true)
}

const KEY_COLUMNS: &str =
    "id, name, all_workspaces, read_only, created_at, revoked_at, secret_sha256";

/// Keys (with their hashes) from rows selected with [`KEY_COLUMNS`], grants filled in.
async fn keys_from_rows(
    client: &Client,
    rows: &[Row],
) -> Result<Vec<(ApiKey, KeyHash)>, StoreError> {
    let mut listed: Vec<String> = Vec::new();
    for row in rows {
        if !row.try_get::<_, bool>(2)? {
            listed.push(row.try_get(0)?);
        }
    }
    let mut grants: HashMap<String, Vec<WorkspaceId>> = HashMap::new();
    if !listed.is_empty() {
        let statement = client
            .prepare_cached(
                "SELECT key_id, workspace_id FROM api_key_workspaces \
                 WHERE key_id = ANY($1::text[]) ORDER BY key_id, workspace_id",
            )
            .await?;
        for row in client.query(&statement, &[&listed]).await? {
            grants
                .entry(row.try_get(0)?)
                .or_default()
                .push(WorkspaceId::from_stored(row.try_get(1)?));
        }
    }
    rows.iter()
        .map(|row| {
            let id: String = row.try_get(0)?;
            let all: bool = row.try_get(2)?;
            let grant = if all {
                WorkspaceGrant::All
            } else {
                WorkspaceGrant::Listed(grants.remove(&id).unwrap_or_default())
            };
            let hash_bytes: Vec<u8> = row.try_get(6)?;
            let hash =
                KeyHash(hash_bytes.try_into().map_err(|_| {
                    StoreError::Internal("a stored key hash is not 32 bytes".into())
                })?);
            let key = ApiKey {
                id: ApiKeyId::from_stored(id),
                name: row.try_get(1)?,
                grant,
                read_only: row.try_get(3)?,
                created_at: Timestamp::from_millis(row.try_get(4)?),
                revoked_at: row
                    .try_get::<_, Option<i64>>(5)?
                    .map(Timestamp::from_millis),
            };
            Ok((key, hash))
        })
        .collect()
}

pub async fn export_api_keys(client: &Client) -> Result<Vec<(ApiKey, KeyHash)>, StoreError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"
        ))
        .await?;
    let rows = client.query(&statement, &[]).await?;
    keys_from_rows(client, &rows).await
}

pub async fn revoke_api_key(
    client: &Client,
    id: &ApiKeyId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    // COALESCE keeps the first revocation time, as SQLite's `revoked_at IS NULL` guard does.
    let statement = client
        .prepare_cached("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1")
        .await?;
    Ok(client
        .execute(&statement, &[&id.as_str(), &now.millis()])
        .await?
        == 1)
}

pub async fn find_api_key(client: &Client, hash: KeyHash) -> Result<Option<ApiKey>, StoreError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_sha256 = $1"
        ))
        .await?;
    let rows = client.query(&statement, &[&&hash.0[..]]).await?;
    Ok(keys_from_rows(client, &rows)
        .await?
        .into_iter()
        .next()
        .map(|(key, _)| key))
}

pub async fn import(client: &mut Client, rows: &ImportRows) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    for workspace in &rows.workspaces {
        insert_workspace(&tx, workspace, true).await?;
    }
    for (key, hash) in &rows.keys {
        insert_api_key(&tx, key, *hash, true).await?;
    }
    insert_contacts(&tx, &rows.contacts, OnConflict::SkipSameId).await?;
    super::transfer::import_events(&tx, &rows.events).await?;
    super::transfer::import_idempotency(&tx, &rows.idempotency).await?;
    tx.commit().await?;
    Ok(())
}
