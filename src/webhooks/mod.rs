//! Webhooks: the change feed pushed to integrators (api.md §6, docs/webhooks.md).
//!
//! Rooms: `client` (the HTTP client: no redirects, checked addresses, 15 s, on a
//! `crate::background` thread), `deliverer`
//! (the loop inside `serve` that leases endpoints with work and runs one worker per
//! endpoint, bounded), `message` (one feed event or test as a signed request), `metrics`
//! (counters and lag for `/metrics`). The rules (secrets, signatures, addresses, the
//! schedule, the body) are in `crate::domain`; the state in `crate::store::WebhookStore`.

pub mod client;
pub mod deliverer;
pub mod message;
pub mod metrics;

use crate::domain::webhooks::RetrySchedule;
use std::time::Duration;

/// The deliverer's settings.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Waits before each attempt at one event (`PURRLIST_WEBHOOK_RETRY_SCHEDULE`).
    pub schedule: RetrySchedule,
    /// Allow loopback, private and link-local targets (`PURRLIST_WEBHOOK_ALLOW_PRIVATE`).
    pub allow_private: bool,
    /// Endpoints delivered at once by this node (`PURRLIST_WEBHOOK_CONCURRENCY`).
    pub concurrency: usize,
    /// How long a node holds an endpoint without renewing (`PURRLIST_WEBHOOK_LEASE_SECONDS`):
    /// after a node dies, its endpoints wait this long for another.
    pub lease: Duration,
    /// How often the deliverer looks for endpoints with work.
    pub poll: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            schedule: RetrySchedule::default(),
            allow_private: false,
            concurrency: 32,
            lease: Duration::from_secs(30),
            poll: Duration::from_millis(200),
        }
    }
}

/// What the HTTP side shares with the deliverer.
#[derive(Clone, Default)]
pub struct Webhooks {
    /// The settings.
    pub settings: WebhookSettings,
    /// Counters for `/metrics`.
    pub metrics: std::sync::Arc<metrics::WebhookMetrics>,
}
