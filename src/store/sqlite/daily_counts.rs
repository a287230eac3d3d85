//! The feed's daily counts: [`DailyCountStore`] on SQLite. A batch is one job of the
//! single writer (cursor, events, counts and the moved cursor in its transaction), so no
//! event is counted twice; seq order is commit order here, so the cursor is a seq.

use super::SqliteStore;
use crate::domain::activity::{DayTally, Tallies};
use crate::domain::ids::WorkspaceId;
use crate::store::{DailyCountStore, MAX_COUNT_BATCH, StoreError};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

fn cursor(conn: &Connection, workspace: &str) -> Result<i64, StoreError> {
    Ok(conn
        .prepare_cached("SELECT after_seq FROM daily_count_cursors WHERE workspace_id = ?1")?
        .query_row([workspace], |r| r.get(0))
        .optional()?
        .unwrap_or(0))
}

/// Whether the workspace has an event after the rollup's cursor (a read, so a caught-up
/// rollup costs the writer nothing).
fn behind(conn: &Connection, workspace: &str) -> Result<bool, StoreError> {
    let after = cursor(conn, workspace)?;
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM contact_events WHERE workspace_id = ?1 AND seq > ?2)",
        )?
        .query_row(params![workspace, after], |r| r.get(0))?)
}

fn count_batch(conn: &Connection, workspace: &str, limit: u32) -> Result<u64, StoreError> {
    let after = cursor(conn, workspace)?;
    let mut days = Tallies::default();
    let (mut last, mut counted) = (after, 0u64);
    let mut stmt = conn.prepare_cached(
        "SELECT seq, kind, created_at, changes FROM contact_events \
         WHERE workspace_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
    )?;
    let mut rows = stmt.query(params![workspace, after, i64::from(limit)])?;
    while let Some(row) = rows.next()? {
        let (seq, kind, at, changes): (i64, String, i64, String) =
            (row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?);
        (last, counted) = (seq, counted + 1);
        days.add_stored(&kind, at, &changes);
    }
    if counted == 0 {
        return Ok(0);
    }
    let mut add = conn.prepare_cached(
        "INSERT INTO daily_counts (workspace_id, day, gained, lost, created, unsubscribed, bounced, deleted) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (workspace_id, day) DO UPDATE SET \
         gained = gained + excluded.gained, lost = lost + excluded.lost, \
         created = created + excluded.created, unsubscribed = unsubscribed + excluded.unsubscribed, \
         bounced = bounced + excluded.bounced, deleted = deleted + excluded.deleted",
    )?;
    for t in days.days() {
        let [gained, lost, created, unsubscribed, bounced, deleted] = t.columns();
        add.execute(params![
            workspace,
            t.day,
            gained,
            lost,
            created,
            unsubscribed,
            bounced,
            deleted
        ])?;
    }
    conn.prepare_cached(
        "INSERT INTO daily_count_cursors (workspace_id, after_seq) VALUES (?1, ?2) \
         ON CONFLICT (workspace_id) DO UPDATE SET after_seq = excluded.after_seq",
    )?
    .execute(params![workspace, last])?;
    Ok(counted)
}

fn read_days(
    conn: &Connection,
    workspace: &str,
    first_day: i64,
) -> Result<Vec<DayTally>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, gained, lost, created, unsubscribed, bounced, deleted FROM daily_counts \
         WHERE workspace_id = ?1 AND day >= ?2 ORDER BY day",
    )?;
    let rows = stmt.query_map(params![workspace, first_day], |r| {
        let mut columns = [0; 6];
        for (i, c) in columns.iter_mut().enumerate() {
            *c = r.get(i + 1)?;
        }
        Ok(DayTally::from_columns(r.get(0)?, columns))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[async_trait]
impl DailyCountStore for SqliteStore {
    async fn count_feed(&self, workspace: &WorkspaceId, limit: u32) -> Result<u64, StoreError> {
        let limit = limit.clamp(1, MAX_COUNT_BATCH);
        let id = workspace.clone();
        if !self
            .readers
            .read(move |conn| behind(conn, id.as_str()))
            .await?
        {
            return Ok(0);
        }
        let id = workspace.clone();
        self.writer
            .write(move |conn| count_batch(conn, id.as_str(), limit))
            .await
    }

    async fn daily_counts(
        &self,
        workspace: &WorkspaceId,
        first_day: i64,
    ) -> Result<Vec<DayTally>, StoreError> {
        let id = workspace.clone();
        self.readers
            .read(move |conn| read_days(conn, id.as_str(), first_day))
            .await
    }
}
