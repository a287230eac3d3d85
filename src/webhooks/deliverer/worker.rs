//! One endpoint's worker: walks its feed from the cursor a page at a time, skips the
//! types it does not want, sends each other event until it is accepted (or the endpoint
//! must wait), and records every attempt with its outcome.

use super::{Deliverer, PAGE, SLEEP_AT_MOST, Stop};
use crate::domain::ids::WebhookId;
use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::WebhookEndpoint;
use crate::store::{DeliveryRecord, EventQuery, Outcome};
use crate::webhooks::message::{self, Message};
use crate::webhooks::metrics::AttemptOutcome;
use std::time::{Duration, Instant};

impl Deliverer {
    /// Works an endpoint until it has nothing due.
    pub(super) async fn deliver(&self, id: &WebhookId) -> Result<(), Stop> {
        loop {
            let endpoint = self.lease(id).await?;
            let mut leased = Instant::now();
            let sent_one_offs = self.one_offs(&endpoint).await?;
            if endpoint.next_attempt_at > Timestamp::now() {
                if sent_one_offs {
                    continue;
                }
                return Ok(());
            }
            let events = self
                .store
                .list_events(EventQuery {
                    workspace: endpoint.workspace_id.clone(),
                    after: endpoint.cursor,
                    limit: PAGE,
                    contact: None,
                })
                .await?;
            if events.is_empty() {
                if sent_one_offs {
                    continue;
                }
                return Ok(());
            }
            let mut cursor = endpoint.cursor;
            let mut attempt = endpoint.attempt;
            let mut skip_to = None;
            for event in &events {
                if !endpoint.wants(&crate::domain::webhooks::event_type(event.event.kind)) {
                    skip_to = Some(event.seq);
                    continue;
                }
                if let Some(to) = skip_to.take() {
                    self.skip(&endpoint, cursor, to).await?;
                    cursor = to;
                }
                let message = message::for_event(&*self.store, event).await?;
                if !self
                    .until_accepted(&endpoint, cursor, &message, &mut attempt, &mut leased)
                    .await?
                {
                    return Ok(());
                }
                cursor = event.seq;
            }
            if let Some(to) = skip_to {
                self.skip(&endpoint, cursor, to).await?;
            }
        }
    }

    async fn skip(&self, endpoint: &WebhookEndpoint, from: i64, to: i64) -> Result<(), Stop> {
        if self
            .store
            .skip_to(&endpoint.id, &self.node, from, to)
            .await?
        {
            Ok(())
        } else {
            Err(Stop::LostOrChanged)
        }
    }

    /// Sends one feed event until it is accepted (true) or the endpoint must wait (false).
    async fn until_accepted(
        &self,
        endpoint: &WebhookEndpoint,
        cursor: i64,
        message: &Message,
        attempt: &mut u32,
        leased: &mut Instant,
    ) -> Result<bool, Stop> {
        let mut endpoint = endpoint.clone();
        loop {
            // Renew when a third of the lease is gone: what is left outlives one send and
            // one short sleep. In between, a read picks up a rotated secret at once.
            let current = if leased.elapsed() > self.settings.lease / 3 {
                *leased = Instant::now();
                Some(self.lease(&endpoint.id).await?)
            } else {
                self.store.get_webhook(&endpoint.id).await?
            };
            let current = current.ok_or(Stop::LostOrChanged)?;
            endpoint.secret = current.secret;
            endpoint.previous_secret = current.previous_secret;
            let (record, accepted) = self.attempt(&endpoint, message, *attempt + 1).await;
            let outcome = if accepted {
                Outcome::Accepted(message.event.map_or(cursor, |(seq, _)| seq))
            } else {
                *attempt += 1;
                match self.settings.schedule.wait_before(*attempt) {
                    Some(wait) => Outcome::Retry {
                        attempt: *attempt,
                        at: Timestamp::from_millis(
                            Timestamp::now().millis() + wait.as_millis() as i64,
                        ),
                    },
                    None => Outcome::Exhausted { attempt: *attempt },
                }
            };
            if !self
                .store
                .record_attempt(&endpoint.id, &self.node, cursor, record, outcome)
                .await?
            {
                return Err(Stop::LostOrChanged);
            }
            match outcome {
                Outcome::Accepted(_) => {
                    *attempt = 0;
                    return Ok(true);
                }
                Outcome::Exhausted { .. } => {
                    self.hooks.metrics.exhausted();
                    tracing::warn!(webhook = %endpoint.id, url = %endpoint.url, "webhook disabled: every retry failed");
                    return Ok(false);
                }
                Outcome::Retry { at, .. } => {
                    let wait = Duration::from_millis(
                        (at.millis() - Timestamp::now().millis()).max(0) as u64,
                    );
                    if wait > SLEEP_AT_MOST {
                        return Ok(false);
                    }
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// One attempt: signs at this moment, posts, and says what to log.
    pub(super) async fn attempt(
        &self,
        endpoint: &WebhookEndpoint,
        message: &Message,
        attempt: u32,
    ) -> (DeliveryRecord, bool) {
        let now = Timestamp::now();
        let headers = message::headers(endpoint, message, now);
        let answer = self
            .sender
            .post(&endpoint.url, &headers, message.body.clone())
            .await;
        let accepted = answer.accepted();
        let outcome = match (accepted, answer.status) {
            (true, _) => AttemptOutcome::Accepted,
            (false, Some(_)) => AttemptOutcome::Refused,
            (false, None) => AttemptOutcome::Unanswered,
        };
        self.hooks
            .metrics
            .attempt(outcome, message.event.map(|(_, at)| at));
        let record = DeliveryRecord {
            id: 0,
            message_id: message.id.clone(),
            event_seq: message.event.map(|(seq, _)| seq),
            event_type: message.event_type.clone(),
            attempt,
            status_code: answer.status.map(|s| s.as_u16()),
            error: answer.error,
            duration_ms: answer.duration.as_millis() as i64,
            created_at: now,
            response: answer.body,
        };
        (record, accepted)
    }
}
