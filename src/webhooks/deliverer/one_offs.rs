//! Messages outside the feed's order: a replayed event (`{"event_id"}`) or a test
//! message, each sent once, its outcome logged.

use super::{Deliverer, ONE_OFFS, Stop};
use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::WebhookEndpoint;
use crate::store::DeliveryRecord;
use crate::webhooks::message::{self, Message};

impl Deliverer {
    /// Sends the queued one-offs once each; true when there were any.
    pub(super) async fn one_offs(&self, endpoint: &WebhookEndpoint) -> Result<bool, Stop> {
        let queued = self.store.one_offs(&endpoint.id, ONE_OFFS).await?;
        for one_off in &queued {
            let message = match one_off.event_seq {
                None => Some(message::test(
                    endpoint,
                    one_off.message_id.clone(),
                    Timestamp::now(),
                )),
                Some(seq) => self.replayed(endpoint, seq).await?,
            };
            let record = match message {
                Some(m) => self.attempt(endpoint, &m, 1).await.0,
                None => DeliveryRecord {
                    id: 0,
                    message_id: one_off.message_id.clone(),
                    event_seq: one_off.event_seq,
                    event_type: String::new(),
                    attempt: 1,
                    status_code: None,
                    error: Some("the event is no longer in the feed".to_owned()),
                    duration_ms: 0,
                    created_at: Timestamp::now(),
                    response: String::new(),
                },
            };
            if !self
                .store
                .record_one_off(&endpoint.id, &self.node, one_off.id, record)
                .await?
            {
                return Err(Stop::LostOrChanged);
            }
        }
        Ok(!queued.is_empty())
    }

    /// The message for one event of the endpoint's workspace, if it is still in the feed.
    async fn replayed(
        &self,
        endpoint: &WebhookEndpoint,
        seq: i64,
    ) -> Result<Option<Message>, Stop> {
        // By its id, not by reading the feed after `seq - 1`: on PostgreSQL the event
        // before `seq` in seq order need not be the one before it in feed order.
        let found = self
            .store
            .webhook_event(&endpoint.workspace_id, seq)
            .await?;
        match found {
            Some(event) => Ok(Some(message::for_event(&*self.store, &event).await?)),
            None => Ok(None),
        }
    }
}
