//! Workspaces, API keys and the first start: [`AdminStore`] on PostgreSQL.

use super::PostgresStore;
use super::keys::{KEY_COLUMNS, all_api_keys, insert_api_key, keys_from_rows};
use super::statements::Sql;
use crate::domain::api_key::{ApiKey, KeyHash};
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::store::{AdminStore, StoreError};
use async_trait::async_trait;
use deadpool_postgres::Client;
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

pub(super) async fn insert_workspace(
    client: &impl Sql,
    workspace: &Workspace,
    skip_same_id: bool,
) -> Result<u64, StoreError> {
    let sql = if skip_same_id {
        "INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING"
    } else {
        "INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3)"
    };
    Ok(client
        .run(
            sql,
            &[
                &workspace.id.as_str(),
                &workspace.name,
                &workspace.created_at.millis(),
            ],
        )
        .await?)
}

pub(super) async fn list_workspaces(client: &Client) -> Result<Vec<Workspace>, StoreError> {
    client
        .rows(
            "SELECT id, name, created_at FROM workspaces ORDER BY created_at, id",
            &[],
        )
        .await?
        .iter()
        .map(workspace_from_row)
        .collect()
}

/// Sets a workspace's name; `None` when there is no such workspace.
async fn rename_workspace(
    client: &Client,
    id: &WorkspaceId,
    name: &str,
) -> Result<Option<Workspace>, StoreError> {
    client
        .row_opt(
            "UPDATE workspaces SET name = $2 WHERE id = $1 RETURNING id, name, created_at",
            &[&id.as_str(), &name],
        )
        .await?
        .as_ref()
        .map(workspace_from_row)
        .transpose()
}

pub(super) async fn workspace_exists_in(
    client: &impl Sql,
    id: &WorkspaceId,
) -> Result<bool, StoreError> {
    Ok(client
        .row_opt("SELECT 1 FROM workspaces WHERE id = $1", &[&id.as_str()])
        .await?
        .is_some())
}

async fn create_api_key(
    client: &mut Client,
    key: &ApiKey,
    hash: KeyHash,
) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    insert_api_key(&tx, key, hash, false).await?;
    tx.commit().await?;
    Ok(())
}

async fn create_first_workspace(
    client: &mut Client,
    workspace: &Workspace,
    key: &ApiKey,
    hash: KeyHash,
) -> Result<bool, StoreError> {
    let tx = client.transaction().await?;
    tx.run("SELECT pg_advisory_xact_lock($1)", &[&FIRST_START_LOCK])
        .await?;
    if tx
        .row_opt("SELECT 1 FROM workspaces LIMIT 1", &[])
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

async fn revoke_api_key(
    client: &Client,
    id: &ApiKeyId,
    now: Timestamp,
) -> Result<bool, StoreError> {
    // COALESCE keeps the first revocation time, as SQLite's `revoked_at IS NULL` guard does.
    Ok(client
        .run(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
            &[&id.as_str(), &now.millis()],
        )
        .await?
        == 1)
}

async fn find_api_key(client: &Client, hash: KeyHash) -> Result<Option<ApiKey>, StoreError> {
    let rows = client
        .rows(
            &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE secret_sha256 = $1"),
            &[&&hash.0[..]],
        )
        .await?;
    Ok(keys_from_rows(client, &rows)
        .await?
        .into_iter()
        .next()
        .map(|(key, _)| key))
}

#[async_trait]
impl AdminStore for PostgresStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.timed(async {
            let client = self.client().await?;
            client.simple_query("SELECT 1").await?;
            Ok(())
        })
        .await
    }

    async fn create_workspace(
        &self,
        name: String,
        now: Timestamp,
    ) -> Result<Workspace, StoreError> {
        let workspace = Workspace::new(name, now);
        self.timed(async { insert_workspace(&self.client().await?, &workspace, false).await })
            .await?;
        Ok(workspace)
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.timed(async { list_workspaces(&self.client().await?).await })
            .await
    }

    async fn workspace_exists(&self, id: &WorkspaceId) -> Result<bool, StoreError> {
        self.timed(async { workspace_exists_in(&self.client().await?, id).await })
            .await
    }

    async fn rename_workspace(
        &self,
        id: &WorkspaceId,
        name: String,
    ) -> Result<Option<Workspace>, StoreError> {
        self.timed(async { rename_workspace(&self.client().await?, id, &name).await })
            .await
    }

    async fn create_first_workspace(
        &self,
        workspace: Workspace,
        key: ApiKey,
        hash: KeyHash,
    ) -> Result<bool, StoreError> {
        self.timed(async {
            create_first_workspace(&mut self.client().await?, &workspace, &key, hash).await
        })
        .await
    }

    async fn create_api_key(&self, key: ApiKey, hash: KeyHash) -> Result<(), StoreError> {
        self.timed(async { create_api_key(&mut self.client().await?, &key, hash).await })
            .await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let keys = self
            .timed(async { all_api_keys(&self.client().await?).await })
            .await?;
        Ok(keys.into_iter().map(|(key, _)| key).collect())
    }

    async fn revoke_api_key(&self, id: &ApiKeyId, now: Timestamp) -> Result<bool, StoreError> {
        self.timed(async { revoke_api_key(&self.client().await?, id, now).await })
            .await
    }

    async fn find_api_key(&self, hash: KeyHash) -> Result<Option<ApiKey>, StoreError> {
        self.timed(async { find_api_key(&self.client().await?, hash).await })
            .await
    }
}
