//! Webhook counters for `/metrics`, kept per process, and the lag of every endpoint,
//! read from the database at each scrape (one query; each endpoint counts at most
//! [`LAG_CAP`] pending events).

use crate::domain::timestamp::Timestamp;
use crate::store::ServerStore;
use std::fmt::Write;
use std::sync::Mutex;

/// Most pending events counted per endpoint at a scrape.
pub const LAG_CAP: u32 = 100_000;
/// Upper bounds of the delivery-lag buckets (commit to acceptance), in seconds.
const BUCKETS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0, 600.0];

#[derive(Default)]
struct Tallies {
    accepted: u64,
    refused: u64,
    unanswered: u64,
    exhausted: u64,
    lag_buckets: [u64; BUCKETS.len()],
    lag_count: u64,
    lag_sum: f64,
}

/// The counters.
#[derive(Default)]
pub struct WebhookMetrics {
    tallies: Mutex<Tallies>,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// A 2xx.
    Accepted,
    /// Another status.
    Refused,
    /// No answer (connection, timeout, refused address).
    Unanswered,
}

impl WebhookMetrics {
    /// Counts an attempt; for an accepted feed event, `committed` gives its delivery lag.
    pub fn attempt(&self, outcome: AttemptOutcome, committed: Option<Timestamp>) {
        let Ok(mut t) = self.tallies.lock() else {
            return;
        };
        match outcome {
            AttemptOutcome::Accepted => t.accepted += 1,
            AttemptOutcome::Refused => t.refused += 1,
            AttemptOutcome::Unanswered => t.unanswered += 1,
        }
        if let (AttemptOutcome::Accepted, Some(at)) = (outcome, committed) {
            let seconds = (Timestamp::now().millis() - at.millis()).max(0) as f64 / 1000.0;
            t.lag_count += 1;
            t.lag_sum += seconds;
            for (bucket, bound) in t.lag_buckets.iter_mut().zip(BUCKETS) {
                if seconds <= bound {
                    *bucket += 1;
                }
            }
        }
    }

    /// Counts an endpoint whose schedule was spent.
    pub fn exhausted(&self) {
        if let Ok(mut t) = self.tallies.lock() {
            t.exhausted += 1;
        }
    }

    /// The Prometheus text of the counters and of every endpoint's lag.
    pub async fn render(&self, store: &dyn ServerStore) -> String {
        let mut out = String::new();
        if let Ok(t) = self.tallies.lock() {
            out.push_str("# HELP purrlist_webhook_attempts_total Webhook delivery attempts by outcome (this node).\n# TYPE purrlist_webhook_attempts_total counter\n");
            for (outcome, n) in [
                ("accepted", t.accepted),
                ("refused", t.refused),
                ("unanswered", t.unanswered),
            ] {
                let _ = writeln!(
                    out,
                    "purrlist_webhook_attempts_total{{outcome=\"{outcome}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "# HELP purrlist_webhook_endpoints_disabled_total Endpoints disabled by this node because the retry schedule was spent.\n# TYPE purrlist_webhook_endpoints_disabled_total counter\npurrlist_webhook_endpoints_disabled_total {}",
                t.exhausted
            );
            out.push_str("# HELP purrlist_webhook_delivery_lag_seconds From an event's commit to its acceptance by an endpoint (this node).\n# TYPE purrlist_webhook_delivery_lag_seconds histogram\n");
            for (bound, n) in BUCKETS.iter().zip(t.lag_buckets) {
                let _ = writeln!(
                    out,
                    "purrlist_webhook_delivery_lag_seconds_bucket{{le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "purrlist_webhook_delivery_lag_seconds_bucket{{le=\"+Inf\"}} {}\npurrlist_webhook_delivery_lag_seconds_sum {}\npurrlist_webhook_delivery_lag_seconds_count {}",
                t.lag_count, t.lag_sum, t.lag_count
            );
        }
        let Ok(lags) = store.webhook_lag(LAG_CAP).await else {
            return out;
        };
        let now = Timestamp::now().millis();
        out.push_str("# HELP purrlist_webhook_pending_events Events of an endpoint's workspace not yet accepted by it (capped).\n# TYPE purrlist_webhook_pending_events gauge\n");
        for l in &lags {
            let _ = writeln!(
                out,
                "purrlist_webhook_pending_events{{webhook=\"{}\"}} {}",
                l.id, l.pending
            );
        }
        out.push_str("# HELP purrlist_webhook_oldest_pending_seconds Age of the oldest event an endpoint has not accepted (0: none).\n# TYPE purrlist_webhook_oldest_pending_seconds gauge\n");
        for l in &lags {
            let age = l
                .oldest
                .map_or(0.0, |o| (now - o.millis()).max(0) as f64 / 1000.0);
            let _ = writeln!(
                out,
                "purrlist_webhook_oldest_pending_seconds{{webhook=\"{}\"}} {age}",
                l.id
            );
        }
        out.push_str("# HELP purrlist_webhook_endpoints Endpoints by state (failing with enabled=\"false\": disabled after the schedule was spent).\n# TYPE purrlist_webhook_endpoints gauge\n");
        let mut counts = std::collections::BTreeMap::new();
        for l in &lags {
            *counts.entry((l.state.clone(), l.enabled)).or_insert(0u64) += 1;
        }
        for ((state, enabled), n) in counts {
            let _ = writeln!(
                out,
                "purrlist_webhook_endpoints{{state=\"{state}\",enabled=\"{enabled}\"}} {n}"
            );
        }
        out
    }
}
