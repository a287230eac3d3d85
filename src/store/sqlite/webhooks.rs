//! [`WebhookStore`] on SQLite, each call handed to the module that holds its SQL: the
//! API's side in `webhook_endpoints`, the deliverer's (leases, attempts, one-offs, lag) in
//! `webhook_delivery`, what deletions keep in `webhook_deleted`, `purrlist copy`'s in
//! `webhook_copy`. Writes go to the writer thread, reads to the reader pool. Rows map to
//! domain types through the shared `store::webhooks::rows`.

use super::SqliteStore;
use super::webhook_delivery as delivery;
use super::{webhook_copy, webhook_deleted, webhook_endpoints as endpoints};
use crate::domain::events::StoredEvent;
use crate::domain::ids::{ContactId, WebhookId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::webhook_payload::DeletedContact;
use crate::domain::webhooks::{WebhookEndpoint, WebhookPatch, WebhookSecret};
use crate::store::webhooks::rows::StoredRow;
use crate::store::{
    DeliveryRecord, EndpointLag, MessageSource, OneOff, Progress, StoreError, WebhookStore,
};
use async_trait::async_trait;
use rusqlite::Row;

impl StoredRow for Row<'_> {
    type Error = rusqlite::Error;

    fn text(&self, i: usize) -> rusqlite::Result<String> {
        self.get(i)
    }

    fn opt_text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }

    fn int(&self, i: usize) -> rusqlite::Result<i64> {
        self.get(i)
    }

    fn opt_int(&self, i: usize) -> rusqlite::Result<Option<i64>> {
        self.get(i)
    }

    fn flag(&self, i: usize) -> rusqlite::Result<bool> {
        self.get(i)
    }
}

#[async_trait]
impl WebhookStore for SqliteStore {
    async fn create_webhook(&self, e: WebhookEndpoint) -> Result<WebhookEndpoint, StoreError> {
        self.writer
            .write(move |conn| endpoints::create(conn, &e))
            .await
    }

    async fn list_webhooks(&self, ws: &WorkspaceId) -> Result<Vec<WebhookEndpoint>, StoreError> {
        let ws = ws.as_str().to_owned();
        self.readers
            .read(move |conn| endpoints::list(conn, &ws))
            .await
    }

    async fn get_webhook(&self, id: &WebhookId) -> Result<Option<WebhookEndpoint>, StoreError> {
        let id = id.as_str().to_owned();
        self.readers
            .read(move |conn| endpoints::get(conn, &id))
            .await
    }

    async fn update_webhook(
        &self,
        id: &WebhookId,
        patch: WebhookPatch,
        now: Timestamp,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let id = id.as_str().to_owned();
        self.writer
            .write(move |conn| endpoints::update(conn, &id, &patch, now))
            .await
    }

    async fn delete_webhook(&self, id: &WebhookId) -> Result<bool, StoreError> {
        let id = id.as_str().to_owned();
        self.writer
            .write(move |conn| endpoints::delete(conn, &id))
            .await
    }

    async fn rotate_webhook_secret(
        &self,
        id: &WebhookId,
        secret: WebhookSecret,
        previous_until: Timestamp,
        now: Timestamp,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let id = id.as_str().to_owned();
        self.writer
            .write(move |conn| endpoints::rotate(conn, &id, &secret, previous_until, now))
            .await
    }

    async fn replay_webhook_after(&self, id: &WebhookId, after: i64) -> Result<bool, StoreError> {
        let id = id.as_str().to_owned();
        self.writer
            .write(move |conn| endpoints::replay_after(conn, &id, after))
            .await
    }

    async fn queue_one_off(&self, id: &WebhookId, m: OneOff) -> Result<(), StoreError> {
        let id = id.as_str().to_owned();
        self.writer
            .write(move |conn| endpoints::queue_one_off(conn, &id, &m))
            .await
    }

    async fn list_deliveries(
        &self,
        id: &WebhookId,
        before: i64,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let id = id.as_str().to_owned();
        self.readers
            .read(move |conn| endpoints::deliveries(conn, &id, before, limit))
            .await
    }

    async fn due_webhooks(&self, now: Timestamp, limit: u32) -> Result<Vec<WebhookId>, StoreError> {
        self.readers
            .read(move |conn| delivery::due(conn, now, limit))
            .await
    }

    async fn lease_webhook(
        &self,
        id: &WebhookId,
        node: &str,
        lease_ms: i64,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        let (id, node) = (id.as_str().to_owned(), node.to_owned());
        self.writer
            .write(move |conn| delivery::lease(conn, &id, &node, lease_ms))
            .await
    }

    async fn release_webhook(&self, id: &WebhookId, node: &str) -> Result<(), StoreError> {
        let (id, node) = (id.as_str().to_owned(), node.to_owned());
        self.writer
            .write(move |conn| delivery::release(conn, &id, &node))
            .await
    }

    async fn clear_webhook_leases(&self) -> Result<(), StoreError> {
        self.writer
            .write(|conn| {
                conn.execute(
                    "UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = 0",
                    [],
                )?;
                Ok(())
            })
            .await
    }

    async fn record_progress(
        &self,
        id: &WebhookId,
        node: &str,
        progress: Progress,
    ) -> Result<bool, StoreError> {
        let (id, node) = (id.as_str().to_owned(), node.to_owned());
        self.writer
            .write(move |conn| delivery::record_progress(conn, &id, &node, &progress))
            .await
    }

    async fn one_offs(&self, id: &WebhookId, limit: u32) -> Result<Vec<OneOff>, StoreError> {
        let id = id.as_str().to_owned();
        self.readers
            .read(move |conn| delivery::one_offs(conn, &id, limit))
            .await
    }

    async fn record_one_off(
        &self,
        id: &WebhookId,
        node: &str,
        one_off: i64,
        d: DeliveryRecord,
    ) -> Result<bool, StoreError> {
        let (id, node) = (id.as_str().to_owned(), node.to_owned());
        self.writer
            .write(move |conn| delivery::record_one_off(conn, &id, &node, one_off, &d))
            .await
    }

    async fn webhook_cursors(&self) -> Result<Vec<(WorkspaceId, i64)>, StoreError> {
        self.readers.read(delivery::cursors).await
    }

    async fn prune_deliveries(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.writer
            .write(move |conn| endpoints::prune_deliveries(conn, before))
            .await
    }

    async fn webhook_lag(&self, cap: u32) -> Result<Vec<EndpointLag>, StoreError> {
        self.readers
            .read(move |conn| delivery::lag(conn, cap))
            .await
    }

    async fn message_sources(
        &self,
        events: &[StoredEvent],
        history: u32,
    ) -> Result<Vec<MessageSource>, StoreError> {
        let events = events.to_vec();
        self.readers
            .read(move |conn| webhook_deleted::message_sources(conn, &events, history))
            .await
    }

    async fn webhook_event(
        &self,
        workspace: &WorkspaceId,
        seq: i64,
    ) -> Result<Option<StoredEvent>, StoreError> {
        let workspace = workspace.as_str().to_owned();
        self.readers
            .read(move |conn| webhook_deleted::event(conn, &workspace, seq))
            .await
    }

    async fn deleted_contact(&self, id: &ContactId) -> Result<Option<DeletedContact>, StoreError> {
        let id = id.as_str().to_owned();
        self.readers
            .read(move |conn| webhook_deleted::get(conn, &id))
            .await
    }

    async fn forget_deleted_contacts(&self) -> Result<u64, StoreError> {
        self.writer.write(webhook_deleted::forget).await
    }

    async fn export_webhooks(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        self.readers.read(webhook_copy::export).await
    }

    async fn import_webhooks(&self, endpoints: Vec<WebhookEndpoint>) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| webhook_copy::import(conn, &endpoints))
            .await
    }
}
