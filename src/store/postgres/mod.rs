//! PostgreSQL: the same trait for several purrlist nodes on one database. A pool of
//! connections (deadpool); every call has a deadline, so a database that is down or
//! restarting gives `Unavailable` (503) quickly and the pool reconnects by itself.

mod admin;
mod bulk;
mod contacts;
mod errors;
mod events;
mod idempotency;
mod rows;
mod schema;
mod transfer;
mod unsubscribe;

use crate::domain::api_key::{ApiKey, KeyHash, WorkspaceGrant};
use crate::domain::bulk::BulkItem;
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::events::{Actor, StoredEvent};
use crate::domain::idempotency::{IdempotencyBegin, IdempotencyClaim, StoredResponse};
use crate::domain::ids::{ApiKeyId, ContactId, UnsubToken, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::store::{
    BulkOutcome, ContactPage, ContactQuery, DeleteScope, EventQuery, IdempotencyEntry, ImportRows,
    Precondition, Store, StoreError, UnsubscribeTarget, UpdateOutcome,
};
use anyhow::Context;
use async_trait::async_trait;
use deadpool_postgres::{Client, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use errors::map_pool_error;
use std::future::Future;
use std::time::Duration;
use tokio_postgres::NoTls;

/// PostgreSQL settings.
#[derive(Debug, Clone, Copy)]
pub struct PostgresOptions {
    /// Most connections this node holds.
    pub pool_size: usize,
    /// How long opening one connection may take.
    pub connect_timeout: Duration,
    /// How long one store call may take, waiting for a connection included.
    pub operation_timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            pool_size: 16,
            connect_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(25),
        }
    }
}

/// The PostgreSQL store.
pub struct PostgresStore {
    pool: Pool,
    operation_timeout: Duration,
}

impl PostgresStore {
    /// Connects, migrates, and builds the pool for `url` (`postgres://…`).
    pub async fn open(url: &str, options: &PostgresOptions) -> anyhow::Result<PostgresStore> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .context("invalid PostgreSQL URL (expected postgres://USER@HOST:PORT/DATABASE)")?;
        config
            .connect_timeout(options.connect_timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("purrlist");
        }
        schema::migrate(&config)
            .await
            .context("cannot migrate the PostgreSQL database")?;
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.operation_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .build()
            .context("cannot build the PostgreSQL pool")?;
        Ok(PostgresStore {
            pool,
            operation_timeout: options.operation_timeout,
        })
    }

    async fn client(&self) -> Result<Client, StoreError> {
        self.pool.get().await.map_err(map_pool_error)
    }

    /// Runs one store call under the deadline; past it the database counts as unavailable.
    async fn timed<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(self.operation_timeout, call)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Unavailable(format!(
                    "PostgreSQL did not answer within {} s",
                    self.operation_timeout.as_secs()
                )))
            })
    }
}

#[async_trait]
impl Store for PostgresStore {
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
        self.timed(async { admin::create_workspace(&self.client().await?, name, now).await })
            .await
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.timed(async { admin::list_workspaces(&self.client().await?).await })
            .await
    }

    async fn workspace_exists(&self, id: &WorkspaceId) -> Result<bool, StoreError> {
        self.timed(async { admin::workspace_exists(&self.client().await?, id).await })
            .await
    }

    async fn create_first_workspace(
        &self,
        workspace: Workspace,
        key: ApiKey,
        hash: KeyHash,
    ) -> Result<bool, StoreError> {
        self.timed(async {
            let mut client = self.client().await?;
            admin::create_first_workspace(&mut client, &workspace, &key, hash).await
        })
        .await
    }

    async fn create_api_key(&self, key: ApiKey, hash: KeyHash) -> Result<(), StoreError> {
        self.timed(async { admin::create_api_key(&mut self.client().await?, &key, hash).await })
            .await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        let keys = self.export_api_keys().await?;
        Ok(keys.into_iter().map(|(key, _)| key).collect())
    }

    async fn revoke_api_key(&self, id: &ApiKeyId, now: Timestamp) -> Result<bool, StoreError> {
        self.timed(async { admin::revoke_api_key(&self.client().await?, id, now).await })
            .await
    }

    async fn find_api_key(&self, hash: KeyHash) -> Result<Option<ApiKey>, StoreError> {
        self.timed(async { admin::find_api_key(&self.client().await?, hash).await })
            .await
    }

    async fn get_contact(
        &self,
        id: &ContactId,
        grant: &WorkspaceGrant,
    ) -> Result<Option<Contact>, StoreError> {
        let found = self
            .timed(async { contacts::get(&self.client().await?, id).await })
            .await?;
        Ok(found.filter(|c| grant.includes(&c.workspace_id)))
    }

    async fn update_contact(
        &self,
        id: ContactId,
        grant: WorkspaceGrant,
        patch: ContactPatch,
        now: Timestamp,
        actor: Actor,
        precondition: Precondition,
    ) -> Result<UpdateOutcome, StoreError> {
        let target = contacts::Target {
            id: &id,
            grant: &grant,
            precondition: &precondition,
        };
        self.timed(async {
            contacts::update(&mut self.client().await?, &target, &patch, now, &actor).await
        })
        .await
    }

    async fn upsert_contacts(
        &self,
        workspace: WorkspaceId,
        items: Vec<BulkItem>,
        now: Timestamp,
        actor: Actor,
    ) -> Result<BulkOutcome, StoreError> {
        self.timed(async {
            bulk::upsert(&mut self.client().await?, &workspace, &items, now, &actor).await
        })
        .await
    }

    async fn list_contacts(&self, query: ContactQuery) -> Result<ContactPage, StoreError> {
        self.timed(async { contacts::list(&mut self.client().await?, &query).await })
            .await
    }

    async fn delete_contact(
        &self,
        id: ContactId,
        grant: WorkspaceGrant,
        now: Timestamp,
        actor: Actor,
        precondition: Precondition,
    ) -> Result<bool, StoreError> {
        let target = contacts::Target {
            id: &id,
            grant: &grant,
            precondition: &precondition,
        };
        self.timed(async {
            contacts::delete_one(&mut self.client().await?, &target, now, &actor).await
        })
        .await
    }

    async fn delete_contacts(
        &self,
        workspace: WorkspaceId,
        scope: DeleteScope,
        now: Timestamp,
        actor: Actor,
    ) -> Result<u64, StoreError> {
        self.timed(async {
            contacts::delete_many(&mut self.client().await?, &workspace, scope, now, &actor).await
        })
        .await
    }

    async fn list_events(&self, query: EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
        self.timed(async { events::list(&self.client().await?, &query).await })
            .await
    }

    async fn prune_events(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.timed(async { events::prune(&self.client().await?, before).await })
            .await
    }

    async fn begin_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        claim: IdempotencyClaim,
    ) -> Result<IdempotencyBegin, StoreError> {
        self.timed(async {
            idempotency::begin(&mut self.client().await?, &api_key, &key, &claim).await
        })
        .await
    }

    async fn finish_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        response: StoredResponse,
    ) -> Result<(), StoreError> {
        self.timed(async {
            idempotency::finish(&self.client().await?, &api_key, &key, &response).await
        })
        .await
    }

    async fn release_idempotent(&self, api_key: ApiKeyId, key: String) -> Result<(), StoreError> {
        self.timed(async { idempotency::release(&self.client().await?, &api_key, &key).await })
            .await
    }

    async fn prune_idempotency(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.timed(async { idempotency::prune(&self.client().await?, before).await })
            .await
    }

    async fn export_api_keys(&self) -> Result<Vec<(ApiKey, KeyHash)>, StoreError> {
        self.timed(async { admin::export_api_keys(&self.client().await?).await })
            .await
    }

    async fn export_contacts(
        &self,
        workspace: &WorkspaceId,
        after: Option<(Timestamp, ContactId)>,
        limit: u32,
    ) -> Result<Vec<Contact>, StoreError> {
        self.timed(async { contacts::export(&self.client().await?, workspace, after, limit).await })
            .await
    }

    async fn import(&self, rows: ImportRows) -> Result<(), StoreError> {
        self.timed(async { admin::import(&mut self.client().await?, &rows).await })
            .await
    }

    async fn export_events(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        self.timed(async { transfer::export_events(&self.client().await?, after, limit).await })
            .await
    }

    async fn count_events(&self, workspace: &WorkspaceId) -> Result<u64, StoreError> {
        self.timed(async { transfer::count_events(&self.client().await?, workspace).await })
            .await
    }

    async fn export_idempotency(
        &self,
        since: Timestamp,
    ) -> Result<Vec<IdempotencyEntry>, StoreError> {
        self.timed(async { transfer::export_idempotency(&self.client().await?, since).await })
            .await
    }

    async fn find_by_unsub_token(
        &self,
        token: &UnsubToken,
    ) -> Result<Option<UnsubscribeTarget>, StoreError> {
        self.timed(async { unsubscribe::find(&self.client().await?, token).await })
            .await
    }

    async fn set_subscribed_by_token(
        &self,
        token: UnsubToken,
        subscribed: bool,
        now: Timestamp,
    ) -> Result<Option<UnsubscribeTarget>, StoreError> {
        self.timed(async {
            unsubscribe::set_subscribed(&mut self.client().await?, &token, subscribed, now).await
        })
        .await
    }
}
