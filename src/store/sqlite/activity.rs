//! Feed activity per day: [`ActivityStore`] on SQLite.

use super::SqliteStore;
use crate::domain::activity::{DAY_MS, DayCount};
use crate::domain::events::EventKind;
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::store::{ActivityStore, StoreError, first_position_since};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

fn daily(
    conn: &Connection,
    workspace: &str,
    since: Timestamp,
) -> Result<Vec<DayCount>, StoreError> {
    let bounds: (Option<i64>, Option<i64>) = conn
        .prepare_cached(
            "SELECT (SELECT MIN(seq) FROM contact_events), (SELECT MAX(seq) FROM contact_events)",
        )?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let (Some(lowest), Some(highest)) = bounds else {
        return Ok(Vec::new());
    };
    let mut first_at = conn.prepare_cached(
        "SELECT created_at FROM contact_events WHERE seq >= ?1 ORDER BY seq LIMIT 1",
    )?;
    let start = first_position_since((lowest, highest), since, |p| {
        first_at
            .query_row([p], |r| r.get::<_, i64>(0))
            .optional()
            .map(|t| t.map(Timestamp::from_millis))
    })?;
    let mut stmt = conn.prepare_cached(
        "SELECT created_at / ?3, kind, COUNT(*) FROM contact_events \
         WHERE workspace_id = ?1 AND seq >= ?2 GROUP BY 1, 2",
    )?;
    let rows = stmt.query_map(params![workspace, start, DAY_MS], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (day, kind, count) = row?;
        if let Some(kind) = EventKind::parse(&kind) {
            out.push(DayCount {
                day,
                kind,
                count: u64::try_from(count).unwrap_or(0),
            });
        }
    }
    Ok(out)
}

#[async_trait]
impl ActivityStore for SqliteStore {
    async fn daily_activity(
        &self,
        workspace: &WorkspaceId,
        since: Timestamp,
    ) -> Result<Vec<DayCount>, StoreError> {
        let workspace = workspace.clone();
        self.readers
            .read(move |conn| daily(conn, workspace.as_str(), since))
            .await
    }
}
