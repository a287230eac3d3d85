//! The feed's daily counts: [`DailyCountStore`] on PostgreSQL. The cursor is a feed
//! position `(feed_xid, seq)` (`events.rs` says why the feed is read in that order and only
//! below the horizon); a batch locks the workspace's cursor row (`FOR UPDATE`), reads the
//! settled events after it, adds them to their days and moves the cursor in one
//! transaction, so servers counting at the same time take turns and never count an event
//! twice. Like a feed read, it waits (outside that transaction) for events it found not
//! yet settled, so a write acknowledged before the overview was asked for is in its chart. Copied events (`feed_xid` 0) come first, so a copied database counts them all.

use super::PostgresStore;
use super::events::{HORIZON, SETTLE_WAIT, horizon};
use super::statements::Sql;
use crate::domain::activity::{DayTally, Tallies};
use crate::domain::ids::WorkspaceId;
use crate::store::{DailyCountStore, MAX_COUNT_BATCH, StoreError};
use async_trait::async_trait;
use deadpool_postgres::Client;
use std::time::{Duration, Instant};

/// One batch: the settled events after the cursor, counted, in one transaction holding the
/// cursor's row lock. Also returns the `feed_xid` of the first event found but not yet
/// settled (its transaction, or an older one, is still running), if the batch stopped there.
async fn count_batch(
    client: &mut Client,
    workspace: &str,
    limit: i64,
) -> Result<(u64, Option<i64>), StoreError> {
    let tx = client.transaction().await?;
    tx.run(
        "INSERT INTO daily_count_cursors (workspace_id) VALUES ($1) ON CONFLICT DO NOTHING",
        &[&workspace],
    )
    .await?;
    let cursor = tx
        .row(
            "SELECT after_xid, after_seq FROM daily_count_cursors WHERE workspace_id = $1 FOR UPDATE",
            &[&workspace],
        )
        .await?;
    let (after_xid, after_seq): (i64, i64) = (cursor.try_get(0)?, cursor.try_get(1)?);
    let rows = tx
        .rows(
            &format!(
                "SELECT feed_xid, seq, kind, created_at, changes, feed_xid < {HORIZON} \
                 FROM contact_events WHERE workspace_id = $1 AND (feed_xid, seq) > ($2, $3) \
                 ORDER BY feed_xid, seq LIMIT $4"
            ),
            &[&workspace, &after_xid, &after_seq, &limit],
        )
        .await?;
    let settled = rows
        .iter()
        .take_while(|r| r.try_get::<_, bool>(5).unwrap_or(false))
        .count();
    let pending = match rows.get(settled) {
        Some(row) => Some(row.try_get::<_, i64>(0)?),
        None => None,
    };
    let rows = &rows[..settled];
    let Some(last) = rows.last() else {
        return Ok((0, pending)); // the transaction rolls back: nothing was written
    };
    let (last_xid, last_seq): (i64, i64) = (last.try_get(0)?, last.try_get(1)?);
    let mut days = Tallies::default();
    for row in rows {
        let kind: String = row.try_get(2)?;
        let changes: String = row.try_get(4)?;
        days.add_stored(&kind, row.try_get(3)?, &changes);
    }
    for t in days.days() {
        let [gained, lost, created, unsubscribed, bounced, deleted] = t.columns();
        tx.run(
            "INSERT INTO daily_counts (workspace_id, day, gained, lost, created, unsubscribed, bounced, deleted) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (workspace_id, day) DO UPDATE SET \
             gained = daily_counts.gained + excluded.gained, lost = daily_counts.lost + excluded.lost, \
             created = daily_counts.created + excluded.created, \
             unsubscribed = daily_counts.unsubscribed + excluded.unsubscribed, \
             bounced = daily_counts.bounced + excluded.bounced, deleted = daily_counts.deleted + excluded.deleted",
            &[
                &workspace,
                &t.day,
                &gained,
                &lost,
                &created,
                &unsubscribed,
                &bounced,
                &deleted,
            ],
        )
        .await?;
    }
    tx.run(
        "UPDATE daily_count_cursors SET after_xid = $2, after_seq = $3 WHERE workspace_id = $1",
        &[&workspace, &last_xid, &last_seq],
    )
    .await?;
    tx.commit().await?;
    Ok((rows.len() as u64, pending))
}

/// [`count_batch`]; when it stopped at events not yet settled, waits for them (up to
/// [`SETTLE_WAIT`], outside the transaction, as a feed read does) and counts once more, so
/// the counts include every write acknowledged before the call. Events committed while it
/// waited are left to the next call, so a busy feed cannot keep it waiting.
async fn count(store: &PostgresStore, workspace: &str, limit: i64) -> Result<u64, StoreError> {
    let (counted, pending) = count_batch(&mut store.client().await?, workspace, limit).await?;
    let Some(wanted) = pending.filter(|_| (counted as i64) < limit) else {
        return Ok(counted);
    };
    let deadline = Instant::now() + SETTLE_WAIT;
    let mut pause = Duration::from_millis(1);
    while horizon(&store.client().await?).await? <= wanted && Instant::now() < deadline {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
    let rest = limit - counted as i64;
    let (more, _) = count_batch(&mut store.client().await?, workspace, rest).await?;
    Ok(counted + more)
}

async fn read_days(
    client: &Client,
    workspace: &str,
    first_day: i64,
) -> Result<Vec<DayTally>, StoreError> {
    let rows = client
        .rows(
            "SELECT day, gained, lost, created, unsubscribed, bounced, deleted FROM daily_counts \
             WHERE workspace_id = $1 AND day >= $2 ORDER BY day",
            &[&workspace, &first_day],
        )
        .await?;
    rows.iter()
        .map(|r| {
            let n = |i: usize| {
                r.try_get::<_, i64>(i)
                    .map(|v| u64::try_from(v).unwrap_or(0))
            };
            Ok(DayTally {
                day: r.try_get(0)?,
                gained: n(1)?,
                lost: n(2)?,
                created: n(3)?,
                unsubscribed: n(4)?,
                bounced: n(5)?,
                deleted: n(6)?,
            })
        })
        .collect()
}

#[async_trait]
impl DailyCountStore for PostgresStore {
    async fn count_feed(&self, workspace: &WorkspaceId, limit: u32) -> Result<u64, StoreError> {
        let limit = i64::from(limit.clamp(1, MAX_COUNT_BATCH));
        self.timed(count(self, workspace.as_str(), limit)).await
    }

    async fn daily_counts(
        &self,
        workspace: &WorkspaceId,
        first_day: i64,
    ) -> Result<Vec<DayTally>, StoreError> {
        self.timed(async { read_days(&self.client().await?, workspace.as_str(), first_day).await })
            .await
    }
}
