//! The `Store` trait on SQLite: every write goes to the writer thread (group commit),
//! every read to the reader pool; the work itself is in the sibling modules.

use super::{SqliteStore, admin, contacts, events, idempotency, transfer, unsubscribe};
use crate::domain::api_key::{ApiKey, KeyHash, WorkspaceGrant};
use crate::domain::bulk::BulkItem;
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::events::{Actor, StoredEvent};
use crate::domain::idempotency::{IdempotencyBegin, IdempotencyClaim, StoredResponse};
use crate::domain::ids::{ApiKeyId, ContactId, UnsubToken, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::store::{
    BulkOutcome, ChunkOutcomes, ContactPage, ContactQuery, DeleteScope, EventQuery,
    IdempotencyEntry, ImportRows, Precondition, Store, StoreError, UnsubscribeTarget,
    UpdateOutcome,
};
use async_trait::async_trait;

#[async_trait]
impl Store for SqliteStore {
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
        self.writer
            .write(move |conn| admin::create_workspace(conn, name, now))
            .await
    }

    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        self.readers.read(admin::list_workspaces).await
    }

    async fn workspace_exists(&self, id: &WorkspaceId) -> Result<bool, StoreError> {
        let id = id.clone();
        self.readers
            .read(move |conn| admin::workspace_exists(conn, &id))
            .await
    }

    async fn create_first_workspace(
        &self,
        workspace: Workspace,
        key: ApiKey,
        hash: KeyHash,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| admin::create_first_workspace(conn, &workspace, &key, hash))
            .await
    }

    async fn create_api_key(&self, key: ApiKey, hash: KeyHash) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| admin::create_api_key(conn, &key, hash))
            .await
    }

    async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        self.readers.read(admin::list_api_keys).await
    }

    async fn revoke_api_key(&self, id: &ApiKeyId, now: Timestamp) -> Result<bool, StoreError> {
        let id = id.clone();
        self.writer
            .write(move |conn| admin::revoke_api_key(conn, &id, now))
            .await
    }

    async fn find_api_key(&self, hash: KeyHash) -> Result<Option<ApiKey>, StoreError> {
        self.readers
            .read(move |conn| admin::find_api_key(conn, hash))
            .await
    }

    async fn get_contact(
        &self,
        id: &ContactId,
        grant: &WorkspaceGrant,
    ) -> Result<Option<Contact>, StoreError> {
        let (id, grant) = (id.clone(), grant.clone());
        let found = self
            .readers
            .read(move |conn| contacts::get(conn, &id))
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
        self.writer
            .write(move |conn| {
                let target = contacts::Target {
                    id: &id,
                    grant: &grant,
                    precondition: &precondition,
                };
                contacts::update(conn, &target, &patch, now, &actor)
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
        self.writer
            .write(move |conn| contacts::upsert(conn, &workspace, &items, now, &actor))
            .await
    }

    async fn list_contacts(&self, query: ContactQuery) -> Result<ContactPage, StoreError> {
        self.readers
            .read(move |conn| contacts::list(conn, &query))
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
        self.writer
            .write(move |conn| {
                let target = contacts::Target {
                    id: &id,
                    grant: &grant,
                    precondition: &precondition,
                };
                contacts::delete_one(conn, &target, now, &actor)
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
        self.writer
            .write(move |conn| contacts::delete_many(conn, &workspace, scope, now, &actor))
            .await
    }

    async fn list_events(&self, query: EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
        self.readers
            .read(move |conn| events::list(conn, &query))
            .await
    }

    async fn prune_events(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.writer
            .write(move |conn| events::prune(conn, before))
            .await
    }

    async fn begin_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        claim: IdempotencyClaim,
    ) -> Result<IdempotencyBegin, StoreError> {
        self.writer
            .write(move |conn| idempotency::begin(conn, &api_key, &key, &claim))
            .await
    }

    async fn finish_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        response: StoredResponse,
    ) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| idempotency::finish(conn, &api_key, &key, &response))
            .await
    }

    async fn release_idempotent(&self, api_key: ApiKeyId, key: String) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| idempotency::release(conn, &api_key, &key))
            .await
    }

    async fn prune_idempotency(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.writer
            .write(move |conn| idempotency::prune(conn, before))
            .await
    }

    async fn find_by_unsub_token(
        &self,
        token: &UnsubToken,
    ) -> Result<Option<UnsubscribeTarget>, StoreError> {
        let token = token.clone();
        self.readers
            .read(move |conn| unsubscribe::find(conn, &token))
            .await
    }

    async fn set_subscribed_by_token(
        &self,
        token: UnsubToken,
        subscribed: bool,
        now: Timestamp,
    ) -> Result<Option<UnsubscribeTarget>, StoreError> {
        self.writer
            .write(move |conn| unsubscribe::set_subscribed(conn, &token, subscribed, now))
            .await
    }

    async fn export_api_keys(&self) -> Result<Vec<(ApiKey, KeyHash)>, StoreError> {
        self.readers.read(admin::export_api_keys).await
    }

    async fn export_contacts(
        &self,
        workspace: &WorkspaceId,
        after: Option<(Timestamp, ContactId)>,
        limit: u32,
    ) -> Result<Vec<Contact>, StoreError> {
        let workspace = workspace.clone();
        self.readers
            .read(move |conn| contacts::export(conn, &workspace, after.as_ref(), limit))
            .await
    }

    async fn import(&self, rows: ImportRows) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| admin::import(conn, &rows))
            .await
    }

    async fn upsert_contact_chunks(
        &self,
        workspace: WorkspaceId,
        chunks: Vec<Vec<BulkItem>>,
        now: Timestamp,
        actor: Actor,
    ) -> Result<ChunkOutcomes, StoreError> {
        // One writer job, so one commit for many chunks: far fewer WAL pages per row.
        self.writer
            .write(move |conn| transfer::upsert_chunks(conn, &workspace, &chunks, now, &actor))
            .await
    }

    async fn export_events(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError> {
        self.readers
            .read(move |conn| transfer::export_events(conn, after, limit))
            .await
    }

    async fn count_events(&self, workspace: &WorkspaceId) -> Result<u64, StoreError> {
        let workspace = workspace.clone();
        self.readers
            .read(move |conn| transfer::count_events(conn, &workspace))
            .await
    }

    async fn export_idempotency(
        &self,
        since: Timestamp,
    ) -> Result<Vec<IdempotencyEntry>, StoreError> {
        self.readers
            .read(move |conn| transfer::export_idempotency(conn, since))
            .await
    }
}
