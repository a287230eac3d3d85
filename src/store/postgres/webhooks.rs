//! [`WebhookStore`] on PostgreSQL, each call handed to the module that holds its SQL: the
//! API's side in `webhook_endpoints`, the deliverer's (leases, attempts, one-offs, lag) in
//! `webhook_delivery`, what deletions keep in `webhook_deleted`, `purrlist copy`'s in
//! `webhook_copy`. Every statement goes through `statements::Sql`, so all of it works
//! behind a pooler in transaction mode. Rows map to domain types through the shared
//! `store::webhooks::rows`.

use super::PostgresStore;
use super::webhook_delivery as delivery;
use super::{webhook_copy, webhook_deleted, webhook_endpoints as endpoints};
use crate::domain::api_key::WorkspaceGrant;
use crate::domain::events::StoredEvent;
use crate::domain::ids::{ContactId, WebhookId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::webhook_payload::DeletedContact;
use crate::domain::webhooks::{WebhookEndpoint, WebhookPatch, WebhookSecret};
use crate::store::webhooks::rows::StoredRow;
use crate::store::{
    ContactStore, DeliveryRecord, EndpointLag, EventQuery, EventStore, MessageSource, OneOff,
    Progress, StoreError, WebhookStore,
};
use async_trait::async_trait;
use tokio_postgres::types::Type;
use tokio_postgres::{Error, Row};

impl StoredRow for Row {
    type Error = Error;

    fn text(&self, i: usize) -> Result<String, Error> {
        self.try_get(i)
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>, Error> {
        self.try_get(i)
    }

    fn int(&self, i: usize) -> Result<i64, Error> {
        Ok(self.opt_int(i)?.unwrap_or_default())
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>, Error> {
        match self.columns().get(i).map(|c| c.type_()) {
            Some(t) if *t == Type::INT4 => Ok(self.try_get::<_, Option<i32>>(i)?.map(i64::from)),
            Some(t) if *t == Type::INT2 => Ok(self.try_get::<_, Option<i16>>(i)?.map(i64::from)),
            _ => self.try_get(i),
        }
    }

    fn flag(&self, i: usize) -> Result<bool, Error> {
        self.try_get(i)
    }
}

#[async_trait]
impl WebhookStore for PostgresStore {
    async fn create_webhook(&self, e: WebhookEndpoint) -> Result<WebhookEndpoint, StoreError> {
        self.timed(async { endpoints::create(&self.client().await?, &e).await })
            .await
    }

    async fn list_webhooks(&self, ws: &WorkspaceId) -> Result<Vec<WebhookEndpoint>, StoreError> {
        self.timed(async { endpoints::list(&self.client().await?, ws.as_str()).await })
            .await
    }

    async fn get_webhook(&self, id: &WebhookId) -> Result<Option<WebhookEndpoint>, StoreError> {
        self.timed(async { endpoints::get(&self.client().await?, id.as_str()).await })
            .await
    }

    async fn update_webhook(
        &self,
        id: &WebhookId,
        patch: WebhookPatch,
        now: Timestamp,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        self.timed(async {
            endpoints::update(&mut self.client().await?, id.as_str(), &patch, now).await
        })
        .await
    }

    async fn delete_webhook(&self, id: &WebhookId) -> Result<bool, StoreError> {
        self.timed(async { endpoints::delete(&mut self.client().await?, id.as_str()).await })
            .await
    }

    async fn rotate_webhook_secret(
        &self,
        id: &WebhookId,
        secret: WebhookSecret,
        previous_until: Timestamp,
        now: Timestamp,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        self.timed(async {
            let client = self.client().await?;
            endpoints::rotate(&client, id.as_str(), &secret, previous_until, now).await
        })
        .await
    }

    async fn replay_webhook_after(&self, id: &WebhookId, after: i64) -> Result<bool, StoreError> {
        self.timed(async {
            endpoints::replay_after(&self.client().await?, id.as_str(), after).await
        })
        .await
    }

    async fn queue_one_off(&self, id: &WebhookId, m: OneOff) -> Result<(), StoreError> {
        self.timed(async { endpoints::queue_one_off(&self.client().await?, id.as_str(), &m).await })
            .await
    }

    async fn list_deliveries(
        &self,
        id: &WebhookId,
        before: i64,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        self.timed(async {
            endpoints::deliveries(&self.client().await?, id.as_str(), before, limit).await
        })
        .await
    }

    async fn due_webhooks(&self, now: Timestamp, limit: u32) -> Result<Vec<WebhookId>, StoreError> {
        let _ = now; // the database's clock decides, the same for every node
        self.timed(async { delivery::due(&self.client().await?, limit).await })
            .await
    }

    async fn lease_webhook(
        &self,
        id: &WebhookId,
        node: &str,
        lease_ms: i64,
    ) -> Result<Option<WebhookEndpoint>, StoreError> {
        self.timed(async {
            delivery::lease(&self.client().await?, id.as_str(), node, lease_ms).await
        })
        .await
    }

    async fn release_webhook(&self, id: &WebhookId, node: &str) -> Result<(), StoreError> {
        self.timed(async { delivery::release(&self.client().await?, id.as_str(), node).await })
            .await
    }

    async fn clear_webhook_leases(&self) -> Result<(), StoreError> {
        // Several nodes share the database: a lease runs out by itself when its node died.
        Ok(())
    }

    async fn record_progress(
        &self,
        id: &WebhookId,
        node: &str,
        progress: Progress,
    ) -> Result<bool, StoreError> {
        self.timed(async {
            let mut client = self.client().await?;
            delivery::record_progress(&mut client, id.as_str(), node, &progress).await
        })
        .await
    }

    async fn one_offs(&self, id: &WebhookId, limit: u32) -> Result<Vec<OneOff>, StoreError> {
        self.timed(async { delivery::one_offs(&self.client().await?, id.as_str(), limit).await })
            .await
    }

    async fn record_one_off(
        &self,
        id: &WebhookId,
        node: &str,
        one_off: i64,
        d: DeliveryRecord,
    ) -> Result<bool, StoreError> {
        self.timed(async {
            let mut client = self.client().await?;
            delivery::record_one_off(&mut client, id.as_str(), node, one_off, &d).await
        })
        .await
    }

    async fn webhook_cursors(&self) -> Result<Vec<(WorkspaceId, i64)>, StoreError> {
        self.timed(async { delivery::cursors(&self.client().await?).await })
            .await
    }

    async fn prune_deliveries(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.timed(async { endpoints::prune_deliveries(&self.client().await?, before).await })
            .await
    }

    async fn webhook_lag(&self, cap: u32) -> Result<Vec<EndpointLag>, StoreError> {
        self.timed(async { delivery::lag(&self.client().await?, cap).await })
            .await
    }

    async fn message_sources(
        &self,
        events: &[StoredEvent],
        history: u32,
    ) -> Result<Vec<MessageSource>, StoreError> {
        // The reads the API uses (replicas included), one event after the other: the
        // benchmarked path is SQLite's; here a page is at most a few hundred events.
        let mut sources = Vec::with_capacity(events.len());
        for e in events {
            let grant = WorkspaceGrant::Listed(vec![e.event.workspace_id.clone()]);
            let contact = self.get_contact(&e.event.contact_id, &grant).await?;
            let deleted = match contact {
                Some(_) => None,
                None => self.deleted_contact(&e.event.contact_id).await?,
            };
            let later = self
                .list_events(EventQuery {
                    workspace: e.event.workspace_id.clone(),
                    after: e.seq,
                    limit: history,
                    contact: Some(e.event.contact_id.clone()),
                })
                .await?;
            sources.push(MessageSource {
                contact,
                deleted,
                later,
            });
        }
        Ok(sources)
    }

    async fn webhook_event(
        &self,
        workspace: &WorkspaceId,
        seq: i64,
    ) -> Result<Option<StoredEvent>, StoreError> {
        self.timed(async {
            webhook_deleted::event(&self.client().await?, workspace.as_str(), seq).await
        })
        .await
    }

    async fn deleted_contact(&self, id: &ContactId) -> Result<Option<DeletedContact>, StoreError> {
        self.timed(async { webhook_deleted::get(&self.client().await?, id.as_str()).await })
            .await
    }

    async fn forget_deleted_contacts(&self) -> Result<u64, StoreError> {
        self.timed(async { webhook_deleted::forget(&self.client().await?).await })
            .await
    }

    async fn export_webhooks(&self) -> Result<Vec<WebhookEndpoint>, StoreError> {
        self.timed(async { webhook_copy::export(&self.client().await?).await })
            .await
    }

    async fn import_webhooks(&self, endpoints: Vec<WebhookEndpoint>) -> Result<(), StoreError> {
        self.timed(async { webhook_copy::import(&mut self.client().await?, &endpoints).await })
            .await
    }
}
