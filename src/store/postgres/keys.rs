//! API key rows on PostgreSQL: a key inserted with its workspace grants, and keys read
//! back with theirs (one query for the grants of many keys).

use super::admin::workspace_exists_in;
use super::statements::Sql;
use crate::domain::api_key::{ApiKey, KeyHash, WorkspaceGrant};
use crate::domain::error::DomainError;
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::StoreError;
use deadpool_postgres::Client;
use std::collections::HashMap;
use tokio_postgres::Row;

/// Inserts a key and its grants; the caller owns the transaction. A listed workspace
/// that does not exist refuses the key.
pub(super) async fn insert_api_key(
    client: &impl Sql,
    key: &ApiKey,
    hash: KeyHash,
    skip_same_id: bool,
) -> Result<(), StoreError> {
    if let WorkspaceGrant::Listed(list) = &key.grant {
        for workspace in list {
            if !workspace_exists_in(client, workspace).await? {
                return Err(DomainError::UnknownWorkspace(workspace.to_string()).into());
            }
        }
    }
    let conflict = if skip_same_id {
        " ON CONFLICT (id) DO NOTHING"
    } else {
        ""
    };
    client
        .run(
            &format!(
                "INSERT INTO api_keys (id, name, secret_sha256, all_workspaces, read_only, created_at, revoked_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7){conflict}"
            ),
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
        for workspace in list {
            client
                .run(
                    "INSERT INTO api_key_workspaces (key_id, workspace_id) VALUES ($1, $2) \
                     ON CONFLICT DO NOTHING",
                    &[&key.id.as_str(), &workspace.as_str()],
                )
                .await?;
        }
    }
    Ok(())
}

/// The columns [`keys_from_rows`] reads, in its order.
pub(super) const KEY_COLUMNS: &str =
    "id, name, all_workspaces, read_only, created_at, revoked_at, secret_sha256";

/// Keys (with their hashes) from rows selected with [`KEY_COLUMNS`], grants filled in.
pub(super) async fn keys_from_rows(
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
        let rows = client
            .rows(
                "SELECT key_id, workspace_id FROM api_key_workspaces \
                 WHERE key_id = ANY($1::text[]) ORDER BY key_id, workspace_id",
                &[&listed],
            )
            .await?;
        for row in rows {
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

/// Every key with its hash, oldest first.
pub(super) async fn all_api_keys(client: &Client) -> Result<Vec<(ApiKey, KeyHash)>, StoreError> {
    let rows = client
        .rows(
            &format!("SELECT {KEY_COLUMNS} FROM api_keys ORDER BY created_at, id"),
            &[],
        )
        .await?;
    keys_from_rows(client, &rows).await
}
