//! The expiry of unconfirmed requests: a task started and stopped with `serve` that removes
//! requests past their deadline and records `contact.confirmation_expired` for each. Its
//! state is the `confirmations` table, so a restart (or another node) picks up where it
//! stopped; on PostgreSQL two nodes may both run it, and each request expires once.

use crate::domain::timestamp::Timestamp;
use crate::store::ServerStore;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Most requests expired in one store call.
const BATCH: u32 = 500;

/// How often the task looks: a quarter of the lifetime, between 50 ms (tests) and a minute.
pub fn sweep_interval(ttl: Duration) -> Duration {
    (ttl / 4).clamp(Duration::from_millis(50), Duration::from_secs(60))
}

/// Expires every request due at `now`, a batch at a time; returns how many.
pub async fn expire_due(
    store: &dyn ServerStore,
    now: Timestamp,
) -> Result<u64, crate::store::StoreError> {
    let mut total = 0;
    loop {
        let removed = store.expire_confirmations(now, BATCH).await?;
        total += removed;
        if removed < u64::from(BATCH) {
            return Ok(total);
        }
    }
}

/// Starts the task; abort the handle to stop it.
pub fn spawn(store: Arc<dyn ServerStore>, ttl: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(sweep_interval(ttl));
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match expire_due(&*store, Timestamp::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "unconfirmed requests expired"),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot expire confirmation requests; will retry")
                }
            }
        }
    })
}
