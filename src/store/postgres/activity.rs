//! Feed activity per day: [`ActivityStore`] on PostgreSQL.

use super::PostgresStore;
use super::statements::Sql;
use crate::domain::activity::{DAY_MS, DayCount};
use crate::domain::events::EventKind;
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::store::{ActivityStore, StoreError};
use async_trait::async_trait;
use deadpool_postgres::Client;

/// The first position at or after `since` (the binary search of
/// `store::first_position_since`, one primary-key lookup per step).
async fn first_position(
    client: &Client,
    (mut lo, highest): (i64, i64),
    since: Timestamp,
) -> Result<i64, StoreError> {
    let mut hi = highest.saturating_add(1);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let at: Option<i64> = client
            .row_opt(
                "SELECT created_at FROM contact_events WHERE seq >= $1 ORDER BY seq LIMIT 1",
                &[&mid],
            )
            .await?
            .map(|row| row.try_get(0))
            .transpose()?;
        match at {
            Some(at) if at >= since.millis() => hi = mid,
            _ => lo = mid + 1,
        }
    }
    Ok(lo)
}

async fn daily(
    client: &Client,
    workspace: &WorkspaceId,
    since: Timestamp,
) -> Result<Vec<DayCount>, StoreError> {
    let bounds = client
        .row(
            "SELECT (SELECT MIN(seq) FROM contact_events), (SELECT MAX(seq) FROM contact_events)",
            &[],
        )
        .await?;
    let (Some(lowest), Some(highest)) = (
        bounds.try_get::<_, Option<i64>>(0)?,
        bounds.try_get::<_, Option<i64>>(1)?,
    ) else {
        return Ok(Vec::new());
    };
    let start = first_position(client, (lowest, highest), since).await?;
    let rows = client
        .rows(
            "SELECT created_at / $3, kind, COUNT(*) FROM contact_events \
             WHERE workspace_id = $1 AND seq >= $2 GROUP BY 1, 2",
            &[&workspace.as_str(), &start, &DAY_MS],
        )
        .await?;
    let mut out = Vec::new();
    for row in rows {
        let kind: String = row.try_get(1)?;
        let count: i64 = row.try_get(2)?;
        if let Some(kind) = EventKind::parse(&kind) {
            out.push(DayCount {
                day: row.try_get(0)?,
                kind,
                count: u64::try_from(count).unwrap_or(0),
            });
        }
    }
    Ok(out)
}

#[async_trait]
impl ActivityStore for PostgresStore {
    async fn daily_activity(
        &self,
        workspace: &WorkspaceId,
        since: Timestamp,
    ) -> Result<Vec<DayCount>, StoreError> {
        self.timed(async { daily(&self.client().await?, workspace, since).await })
            .await
    }
}
