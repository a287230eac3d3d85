//! The `Store` trait on PostgreSQL: every call takes a pooled connection under the
//! store's deadline; the work itself is in the sibling modules.

use super::{PostgresStore, admin, bulk, contacts, events, idempotency, transfer, unsubscribe};
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
use async_trait::async_trait;

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
