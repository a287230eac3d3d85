//! One endpoint's worker: walks its feed from the cursor a page at a time, skips the
//! types it does not want, sends each other event until it is accepted (or the endpoint
//! must wait), and writes what it did in batches.
//!
//! Two things run beside the sending: the next page (events and messages) is read while
//! this one is sent, and the progress of a page (its attempts logged, the cursor moved) is
//! written while the next one is sent; the write of a page waits for the write before it,
//! and a failed attempt is written at once (the endpoint shows `failing`). Sent but not yet
//! written means sent again after a crash: at least once, in order, same `webhook-id`.

use super::pages::{self, Page};
use super::{Deliverer, LINGER, LINGER_POLL, PAGE, SLEEP_AT_MOST, Stop};
use crate::domain::ids::WebhookId;
use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::WebhookEndpoint;
use crate::store::{DeliveryRecord, Failure, Progress, StoreError};
use crate::webhooks::message::{self, Message};
use crate::webhooks::metrics::AttemptOutcome;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// What a worker knows of its endpoint while it walks the feed.
struct Walk {
    /// The endpoint as last read (its secrets sign).
    endpoint: WebhookEndpoint,
    /// When the lease was last taken or renewed.
    leased: Instant,
    /// Failures of the event after `progress.to` so far.
    attempt: u32,
    /// What was done since the last write started.
    progress: Progress,
    /// The write in flight, if any, and the cursor it starts from.
    writing: Option<(JoinHandle<Result<bool, StoreError>>, i64)>,
    /// The next page, being read.
    ahead: Option<JoinHandle<Result<Page, StoreError>>>,
}

impl Drop for Walk {
    fn drop(&mut self) {
        if let Some(ahead) = self.ahead.take() {
            ahead.abort();
        }
    }
}

/// Whether the worker goes on with its endpoint.
enum Next {
    Continue,
    /// Nothing to do now (caught up, or a retry is far off).
    Done,
}

impl Deliverer {
    /// Works an endpoint until it has nothing due.
    pub(super) async fn deliver(self: &Arc<Self>, id: &WebhookId) -> Result<(), Stop> {
        let endpoint = self.lease(id).await?;
        if endpoint.next_attempt_at > Timestamp::now() {
            // Its next event waits for its retry time; one-offs do not.
            while self.one_offs(&endpoint).await? {}
            return Ok(());
        }
        let mut walk = Walk {
            leased: Instant::now(),
            attempt: endpoint.attempt,
            progress: Progress::at(endpoint.cursor),
            endpoint,
            writing: None,
            ahead: None,
        };
        let mut idle_since: Option<Instant> = None;
        loop {
            self.renew(&mut walk).await?;
            let sent_one_offs = self.one_offs(&walk.endpoint).await?;
            let page = match walk.ahead.take() {
                Some(ahead) => ahead.await.map_err(joined)??,
                None => self.read(&walk.endpoint, walk.progress.to).await?,
            };
            let page = if page.after == walk.progress.to {
                page
            } else {
                self.read(&walk.endpoint, walk.progress.to).await?
            };
            if page.events.is_empty() {
                self.written(&mut walk).await?;
                self.write(&mut walk);
                self.written(&mut walk).await?;
                let idle = idle_since.get_or_insert_with(Instant::now);
                if sent_one_offs || (idle.elapsed() < LINGER && self.slots.available_permits() > 0)
                {
                    tokio::time::sleep(LINGER_POLL).await;
                    continue;
                }
                return Ok(());
            }
            idle_since = None;
            self.refresh(&mut walk).await?;
            walk.ahead = Some(tokio::spawn(pages::read(
                Arc::clone(&self.store),
                Arc::clone(&self.built),
                walk.endpoint.clone(),
                page.last(),
                PAGE,
            )));
            for (seq, message) in &page.events {
                match message {
                    None => walk.progress.to = *seq,
                    Some(m) => {
                        if let Next::Done = self.until_accepted(&mut walk, m).await? {
                            return Ok(());
                        }
                    }
                }
            }
            self.written(&mut walk).await?;
            self.write(&mut walk);
        }
    }

    /// Reads the page after `after` now (not ahead).
    async fn read(&self, endpoint: &WebhookEndpoint, after: i64) -> Result<Page, Stop> {
        let (store, built) = (Arc::clone(&self.store), Arc::clone(&self.built));
        Ok(pages::read(store, built, endpoint.clone(), after, PAGE).await?)
    }

    /// Renews the lease when a third of it is gone: what is left outlives a page and one
    /// short sleep.
    async fn renew(&self, walk: &mut Walk) -> Result<(), Stop> {
        if walk.leased.elapsed() > self.settings.lease / 3 {
            let fresh = self.lease(&walk.endpoint.id).await?;
            walk.leased = Instant::now();
            walk.endpoint.secret = fresh.secret;
            walk.endpoint.previous_secret = fresh.previous_secret;
        }
        Ok(())
    }

    /// Reads the endpoint again before a page is sent: a rotated secret signs from the
    /// next page on, and a worker whose endpoint was switched off, replayed or deleted
    /// stops (its cursor is neither the one this worker wrote nor the one its write in
    /// flight starts from).
    async fn refresh(&self, walk: &mut Walk) -> Result<(), Stop> {
        let current = self
            .store
            .get_webhook(&walk.endpoint.id)
            .await?
            .ok_or(Stop::LostOrChanged)?;
        let in_flight = walk.writing.as_ref().map(|(_, from)| *from);
        if !current.enabled
            || (current.cursor != walk.progress.from && Some(current.cursor) != in_flight)
        {
            return Err(Stop::LostOrChanged);
        }
        walk.endpoint.secret = current.secret;
        walk.endpoint.previous_secret = current.previous_secret;
        Ok(())
    }

    /// Starts writing the progress so far (nothing when there is none); the write before
    /// must be finished (`written`).
    fn write(self: &Arc<Self>, walk: &mut Walk) {
        if walk.progress.is_empty() {
            return;
        }
        let next = Progress::at(walk.progress.to);
        let progress = std::mem::replace(&mut walk.progress, next);
        let (me, id, from) = (Arc::clone(self), walk.endpoint.id.clone(), progress.from);
        let writing =
            tokio::spawn(async move { me.store.record_progress(&id, &me.node, progress).await });
        walk.writing = Some((writing, from));
    }

    /// Waits for the write in flight; a write that found the endpoint changed stops.
    async fn written(&self, walk: &mut Walk) -> Result<(), Stop> {
        if let Some((writing, _)) = walk.writing.take()
            && !writing.await.map_err(joined)??
        {
            return Err(Stop::LostOrChanged);
        }
        Ok(())
    }

    /// Sends one feed event until it is accepted (`Continue`) or the endpoint must wait.
    async fn until_accepted(
        self: &Arc<Self>,
        walk: &mut Walk,
        message: &Message,
    ) -> Result<Next, Stop> {
        loop {
            self.renew(walk).await?;
            let (record, accepted) = self
                .attempt(&walk.endpoint, message, walk.attempt + 1)
                .await;
            walk.progress.deliveries.push(record);
            if accepted {
                walk.progress.to = message.event.map_or(walk.progress.to, |(seq, _)| seq);
                walk.attempt = 0;
                return Ok(Next::Continue);
            }
            walk.attempt += 1;
            let failure = match self.settings.schedule.wait_before(walk.attempt) {
                Some(wait) => Failure::Retry {
                    attempt: walk.attempt,
                    at: Timestamp::from_millis(Timestamp::now().millis() + wait.as_millis() as i64),
                },
                None => Failure::Exhausted {
                    attempt: walk.attempt,
                },
            };
            walk.progress.failure = Some(failure);
            self.written(walk).await?;
            self.write(walk);
            self.written(walk).await?;
            match failure {
                Failure::Exhausted { .. } => {
                    self.hooks.metrics.exhausted();
                    let (id, url) = (&walk.endpoint.id, &walk.endpoint.url);
                    tracing::warn!(webhook = %id, url = %url, "webhook disabled: every retry failed");
                    return Ok(Next::Done);
                }
                Failure::Retry { at, .. } => {
                    let wait = Duration::from_millis(
                        (at.millis() - Timestamp::now().millis()).max(0) as u64,
                    );
                    if wait > SLEEP_AT_MOST {
                        return Ok(Next::Done);
                    }
                    tokio::time::sleep(wait).await;
                    self.refresh(walk).await?;
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
            .post(&endpoint.url, headers, message.body.clone())
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

/// A spawned read or write that did not finish (aborted or panicked).
fn joined(e: tokio::task::JoinError) -> Stop {
    Stop::Store(StoreError::Internal(format!("webhook task: {e}")))
}
