//! Read replicas: streaming standbys that may serve list, search, get and the feed.
//!
//! A monitor task checks every replica each [`CHECK_EVERY`] (`pg_last_wal_replay_lsn()`,
//! with a [`CHECK_TIMEOUT`]) and samples the primary's WAL position. A read may go to a
//! replica that answered its last check recently and has replayed everything the primary
//! had written [`MAX_LAG`] ago; when the request sent a position (`store::position`), the
//! replica must have replayed that far too, checked again on the spot if its last check
//! was short of it. Otherwise, and whenever a replica fails the read, the primary serves
//! it: a replica that is down or behind costs a fallback, never an error.

use crate::store::position::Position;
use crate::store::redact_url;
use anyhow::Context;
use deadpool_postgres::{Client, Pool};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// How often the monitor checks every replica and samples the primary.
const CHECK_EVERY: Duration = Duration::from_millis(500);
/// How long one check (a connection included) may take before the replica counts as down.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);
/// A replica whose last good check is older than this is not used.
const CHECK_VALID_FOR: Duration = Duration::from_secs(3);
/// How far behind the primary a replica may be for a read that sent no position.
pub const MAX_LAG: Duration = Duration::from_secs(5);

/// One replica and what its last check found.
struct Replica {
    label: String,
    pool: Pool,
    /// When it last answered and how far it had replayed; `None` after a failed check.
    replayed: Mutex<Option<(Instant, u64)>>,
}

impl Replica {
    /// How far the replica has replayed, asked now (bounded by [`CHECK_TIMEOUT`]).
    async fn check(&self) -> Option<u64> {
        let asked = async {
            let client = self.pool.get().await.ok()?;
            let row = client
                .simple_query("SELECT pg_last_wal_replay_lsn()::text")
                .await
                .ok()?;
            lsn_of_simple_rows(&row)
        };
        let replayed = tokio::time::timeout(CHECK_TIMEOUT, asked)
            .await
            .ok()
            .flatten();
        let mut last = self.replayed.lock().unwrap_or_else(|e| e.into_inner());
        if replayed.is_none() && last.is_some() {
            tracing::warn!(replica = %self.label, "read replica not answering; reads go elsewhere");
        }
        *last = replayed.map(|lsn| (Instant::now(), lsn));
        replayed
    }

    /// How far it had replayed at its last good check, if that is recent.
    fn recently_replayed(&self) -> Option<u64> {
        let last = *self.replayed.lock().unwrap_or_else(|e| e.into_inner());
        last.filter(|(at, _)| at.elapsed() < CHECK_VALID_FOR)
            .map(|(_, lsn)| lsn)
    }

    fn failed(&self) {
        *self.replayed.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The first column of a simple query's first row, read as an LSN.
pub fn lsn_of_simple_rows(messages: &[tokio_postgres::SimpleQueryMessage]) -> Option<u64> {
    messages.iter().find_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(row) => row
            .get(0)
            .and_then(|text| text.parse::<Position>().ok())
            .map(|p| p.0),
        _ => None,
    })
}

/// The replicas of one store, and the primary's recent WAL positions.
pub struct Replicas {
    members: Vec<Replica>,
    next: AtomicUsize,
    /// (when, the primary's WAL position then), oldest first, covering about [`MAX_LAG`].
    primary: Mutex<VecDeque<(Instant, u64)>>,
}

/// A replica connection for one read, and who to blame if the read fails there.
pub struct ReplicaClient {
    /// The connection.
    pub client: Client,
    index: usize,
}

impl Replicas {
    /// Pools for `urls` (nothing is connected yet), and the monitor task checking them.
    pub fn open(
        urls: &[String],
        primary: Pool,
        pool_size: usize,
    ) -> anyhow::Result<Option<Arc<Replicas>>> {
        if urls.is_empty() {
            return Ok(None);
        }
        let mut members = Vec::new();
        for url in urls {
            let (config, tls) = super::connection_config(url, CHECK_TIMEOUT)
                .with_context(|| format!("read replica {}", redact_url(url)))?;
            let pool = super::pool(config, tls, pool_size, CHECK_TIMEOUT, CHECK_TIMEOUT)?;
            members.push(Replica {
                label: redact_url(url),
                pool,
                replayed: Mutex::new(None),
            });
        }
        let replicas = Arc::new(Replicas {
            members,
            next: AtomicUsize::new(0),
            primary: Mutex::new(VecDeque::new()),
        });
        tokio::spawn(monitor(Arc::downgrade(&replicas), primary));
        Ok(Some(replicas))
    }

    /// The primary's position [`MAX_LAG`] ago (the oldest sample while there is no older
    /// one); `None` before the first sample.
    fn lag_floor(&self) -> Option<u64> {
        let samples = self.primary.lock().unwrap_or_else(|e| e.into_inner());
        samples
            .iter()
            .rev()
            .find(|(at, _)| at.elapsed() >= MAX_LAG)
            .or(samples.front())
            .map(|(_, lsn)| *lsn)
    }

    fn sample_primary(&self, lsn: u64) {
        let mut samples = self.primary.lock().unwrap_or_else(|e| e.into_inner());
        samples.push_back((Instant::now(), lsn));
        // Keep one sample older than MAX_LAG, the one `lag_floor` reads.
        while samples.len() > 2 && samples[1].0.elapsed() >= MAX_LAG {
            samples.pop_front();
        }
    }

    /// A connection to a replica fit to serve a read that must see `floor`, or `None`
    /// (the primary serves it).
    pub async fn reader(&self, floor: Option<Position>) -> Option<ReplicaClient> {
        let lag_floor = self.lag_floor()?;
        let need = floor.map_or(lag_floor, |f| f.0.max(lag_floor));
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        for offset in 0..self.members.len() {
            let index = (start + offset) % self.members.len();
            let replica = &self.members[index];
            let Some(replayed) = replica.recently_replayed() else {
                continue;
            };
            if replayed < lag_floor {
                continue;
            }
            // Short of the client's position at the last check: it may have caught up since.
            if replayed < need && replica.check().await.is_none_or(|now| now < need) {
                continue;
            }
            match tokio::time::timeout(CHECK_TIMEOUT, replica.pool.get()).await {
                Ok(Ok(client)) => return Some(ReplicaClient { client, index }),
                _ => replica.failed(),
            }
        }
        None
    }

    /// The read on this replica failed: skip it until its next good check.
    pub fn failed(&self, used: &ReplicaClient, error: &dyn std::fmt::Display) {
        let replica = &self.members[used.index];
        tracing::warn!(replica = %replica.label, %error, "a read failed on a replica; the primary serves it");
        replica.failed();
    }
}

/// Checks every replica and samples the primary each [`CHECK_EVERY`], until the store goes.
async fn monitor(replicas: Weak<Replicas>, primary: Pool) {
    let mut tick = tokio::time::interval(CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(replicas) = replicas.upgrade() else {
            return;
        };
        let sampled = tokio::time::timeout(CHECK_TIMEOUT, async {
            let client = primary.get().await.ok()?;
            let rows = client
                .simple_query("SELECT pg_current_wal_lsn()::text")
                .await
                .ok()?;
            lsn_of_simple_rows(&rows)
        })
        .await
        .ok()
        .flatten();
        if let Some(lsn) = sampled {
            replicas.sample_primary(lsn);
        }
        futures_util::future::join_all(replicas.members.iter().map(Replica::check)).await;
    }
}
