//! The deliverer inside `serve`: every `poll` it asks the store which endpoints have work
//! and no live lease, leases each (one node at a time per endpoint) and runs one worker
//! per endpoint, at most `concurrency` at once, so a slow receiver holds one worker and
//! no other endpoint waits for it.
//!
//! A worker sends the endpoint's queued one-offs, then walks its feed from the cursor a
//! page at a time: an event the endpoint does not want moves the cursor on; any other is
//! sent until accepted, and the cursor moves only when it is (written after the answers,
//! a page at a time, so a crash in between sends them again with the same `webhook-id`:
//! at least once, in order). A failure waits the schedule's next delay (in the worker when
//! short, otherwise by leaving the endpoint until its retry time); a spent schedule
//! disables the endpoint. A worker that caught up lingers a moment for new events.
//!
//! All of it runs on the sending thread, at a lower CPU priority than the API
//! (`crate::background`): with a core full of API work, the deliverer's reads, message
//! building and signing wait as its sending does.
//!
//! Rooms: this file is the loop and the leases; `worker` walks one endpoint's feed, makes
//! each attempt and writes its progress; `pages` reads the feed and builds each event's
//! message once for all endpoints; `one_offs` sends replayed events and test messages.

mod one_offs;
mod pages;
mod worker;

use super::client::Sender;
use super::{WebhookSettings, Webhooks};
use crate::domain::ids::WebhookId;
use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::WebhookEndpoint;
use crate::store::{ServerStore, StoreError};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

/// Feed events read at once by a worker (and written as one batch of progress).
const PAGE: u32 = 256;
/// How long a worker that caught up keeps its endpoint, looking for new events every
/// `LINGER_POLL`, while this node has free slots: a busy endpoint's next events go out
/// within milliseconds instead of at the next poll.
const LINGER: Duration = Duration::from_secs(2);
/// How often a lingering worker looks.
const LINGER_POLL: Duration = Duration::from_millis(10);
/// The longest wait a worker sleeps through itself (holding its lease and slot).
const SLEEP_AT_MOST: Duration = Duration::from_secs(10);
/// One-offs sent per round.
const ONE_OFFS: u32 = 20;

/// The running deliverer of this node.
pub struct Deliverer {
    store: Arc<dyn ServerStore>,
    sender: Sender,
    settings: WebhookSettings,
    hooks: Webhooks,
    node: String,
    running: Mutex<HashSet<WebhookId>>,
    slots: Arc<Semaphore>,
    built: Arc<pages::Built>,
}

/// The running deliverer: stopped and waited for by a server that shuts down
/// ([`Running::stop`]), aborted when dropped (a test's app that is dropped leaves no loop
/// behind on the sending thread).
pub struct Running {
    task: Option<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

/// How long [`Running::stop`] waits for the loop to wind down before it aborts it.
const STOP_WAIT: Duration = Duration::from_secs(5);

impl Running {
    /// Stops the loop and its workers and waits until they are gone, so what they hold (the
    /// store, and with it SQLite's connections) is released before the server exits: the
    /// loop stops polling, aborts its workers and waits for them (a delivery cut short is
    /// sent again by the next start: at least once).
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let abort = task.abort_handle();
            if tokio::time::timeout(STOP_WAIT, task).await.is_err() {
                abort.abort();
            }
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Why a worker stops early.
enum Stop {
    /// Another node has the endpoint now, or it changed (replayed, disabled, deleted).
    LostOrChanged,
    /// The store failed; the next poll tries again.
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Stop {
        Stop::Store(e)
    }
}

impl Deliverer {
    /// Starts the loop, and every worker it spawns, on the sender's lower-priority thread
    /// (`crate::background`); it runs until the returned handle is stopped
    /// ([`Running::stop`]) or dropped, and its workers stop with it (the thread, which they
    /// keep, stops after them).
    pub fn spawn(store: Arc<dyn ServerStore>, hooks: Webhooks) -> anyhow::Result<Running> {
        let settings = hooks.settings.clone();
        let sender = Sender::new(settings.allow_private, settings.concurrency)?;
        let deliverer = Arc::new(Deliverer {
            sender: sender.clone(),
            node: format!("node-{}", crate::domain::ids::random_body(12)),
            slots: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            running: Mutex::default(),
            built: Arc::default(),
            store,
            settings,
            hooks,
        });
        let (stop, stopped) = watch::channel(false);
        let task = sender.spawn(async move { deliverer.run(stopped).await });
        Ok(Running {
            task: Some(task),
            stop,
        })
    }

    async fn run(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        if let Err(e) = self.store.clear_webhook_leases().await {
            tracing::warn!(error = %e, "webhooks: could not clear old leases");
        }
        let mut every = tokio::time::interval(self.settings.poll);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Shut down when the loop is stopped; dropped (aborting every worker) if it is aborted.
        let mut workers = JoinSet::new();
        loop {
            tokio::select! {
                biased;
                _ = stopped.wait_for(|stop| *stop) => break,
                _ = every.tick() => {}
            }
            while workers.try_join_next().is_some() {}
            let free = self.slots.available_permits();
            if free == 0 {
                continue;
            }
            let due = match self
                .store
                .due_webhooks(Timestamp::now(), free as u32 * 2)
                .await
            {
                Ok(due) => due,
                Err(e) => {
                    tracing::debug!(error = %e, "webhooks: cannot read due endpoints");
                    continue;
                }
            };
            for id in due {
                let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() else {
                    break;
                };
                let fresh = self.running.lock().is_ok_and(|mut r| r.insert(id.clone()));
                if !fresh {
                    continue;
                }
                let me = Arc::clone(&self);
                workers.spawn(async move {
                    let _permit = permit;
                    me.work(&id).await;
                    if let Ok(mut r) = me.running.lock() {
                        r.remove(&id);
                    }
                });
            }
        }
        workers.shutdown().await;
    }

    async fn work(self: &Arc<Self>, id: &WebhookId) {
        match self.deliver(id).await {
            Ok(()) | Err(Stop::LostOrChanged) => {}
            Err(Stop::Store(e)) => {
                tracing::warn!(webhook = %id, error = %e, "webhooks: store error; will retry")
            }
        }
        let _ = self.store.release_webhook(id, &self.node).await;
    }

    fn lease_ms(&self) -> i64 {
        self.settings.lease.as_millis() as i64
    }

    async fn lease(&self, id: &WebhookId) -> Result<WebhookEndpoint, Stop> {
        self.store
            .lease_webhook(id, &self.node, self.lease_ms())
            .await?
            .ok_or(Stop::LostOrChanged)
    }
}
