//! Import jobs: [`ImportStore`] on SQLite. Writes go through the writer, reads to the pool.

use super::SqliteStore;
use crate::domain::ids::{ApiKeyId, ImportId, WorkspaceId};
use crate::domain::import_job::{ImportCounts, ImportJob, ImportStatus};
use crate::domain::timestamp::Timestamp;
use crate::store::{ImportStore, StoreError};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

/// Every column, in the order [`job_from_row`] reads them.
const COLUMNS: &str = "id, workspace_id, api_key_id, settings, format, status, body_bytes, \
    rows_read, bytes_read, rows_written, rows_in_flight, created, updated, unchanged, skipped, \
    kept_unsubscribed, report, error, created_at, started_at, finished_at, heartbeat_at";

fn unreadable(id: &str, what: &str) -> StoreError {
    StoreError::Internal(format!("import {id}: unreadable {what}"))
}

fn job_from_row(r: &Row<'_>) -> rusqlite::Result<Result<ImportJob, StoreError>> {
    let id: String = r.get(0)?;
    let settings: String = r.get(3)?;
    let status: String = r.get(5)?;
    let report: Option<String> = r.get(16)?;
    let count = |i: usize| -> rusqlite::Result<u64> { Ok(r.get::<_, i64>(i)?.max(0) as u64) };
    let counts = ImportCounts {
        rows_read: count(7)?,
        bytes_read: count(8)?,
        rows_written: count(9)?,
        rows_in_flight: count(10)?,
        created: count(11)?,
        updated: count(12)?,
        unchanged: count(13)?,
        skipped: count(14)?,
        kept_unsubscribed: count(15)?,
    };
    let (workspace, api_key, format, body_bytes, error) =
        (r.get(1)?, r.get(2)?, r.get(4)?, count(6)?, r.get(17)?);
    let times = (
        r.get::<_, i64>(18)?,
        r.get::<_, Option<i64>>(19)?,
        r.get::<_, Option<i64>>(20)?,
        r.get::<_, i64>(21)?,
    );
    Ok((|| {
        Ok(ImportJob {
            settings: serde_json::from_str(&settings).map_err(|_| unreadable(&id, "settings"))?,
            status: ImportStatus::parse(&status).ok_or_else(|| unreadable(&id, "status"))?,
            report: match report {
                Some(text) => {
                    Some(serde_json::from_str(&text).map_err(|_| unreadable(&id, "report"))?)
                }
                None => None,
            },
            id: ImportId::from_stored(id.clone()),
            workspace: WorkspaceId::from_stored(workspace),
            api_key: ApiKeyId::from_stored(api_key),
            format,
            body_bytes,
            counts,
            error,
            created_at: Timestamp::from_millis(times.0),
            started_at: times.1.map(Timestamp::from_millis),
            finished_at: times.2.map(Timestamp::from_millis),
            heartbeat_at: Timestamp::from_millis(times.3),
        })
    })())
}

/// Inserts a job; `verb` is `INSERT` or `INSERT OR IGNORE`.
fn insert(conn: &Connection, job: &ImportJob, verb: &str) -> Result<(), StoreError> {
    let settings = serde_json::to_string(&job.settings)
        .map_err(|e| StoreError::Internal(format!("import settings: {e}")))?;
    let c = &job.counts;
    conn.prepare_cached(&format!(
        "{verb} INTO imports ({COLUMNS}) VALUES \
         (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)"
    ))?
    .execute(params![
        job.id.as_str(),
        job.workspace.as_str(),
        job.api_key.as_str(),
        settings,
        job.format,
        job.status.as_str(),
        job.body_bytes as i64,
        c.rows_read as i64,
        c.bytes_read as i64,
        c.rows_written as i64,
        c.rows_in_flight as i64,
        c.created as i64,
        c.updated as i64,
        c.unchanged as i64,
        c.skipped as i64,
        c.kept_unsubscribed as i64,
        job.report.as_ref().map(ToString::to_string),
        job.error,
        job.created_at.millis(),
        job.started_at.map(Timestamp::millis),
        job.finished_at.map(Timestamp::millis),
        job.heartbeat_at.millis(),
    ])?;
    Ok(())
}

fn save(conn: &Connection, job: &ImportJob) -> Result<bool, StoreError> {
    let c = &job.counts;
    let saved = conn
        .prepare_cached(
            "UPDATE imports SET format = ?2, status = ?3, rows_read = ?4, bytes_read = ?5, \
             rows_written = ?6, rows_in_flight = ?7, created = ?8, updated = ?9, unchanged = ?10, \
             skipped = ?11, kept_unsubscribed = ?12, report = ?13, error = ?14, started_at = ?15, \
             finished_at = ?16, heartbeat_at = ?17 \
             WHERE id = ?1 AND status IN ('queued', 'running')",
        )?
        .execute(params![
            job.id.as_str(),
            job.format,
            job.status.as_str(),
            c.rows_read as i64,
            c.bytes_read as i64,
            c.rows_written as i64,
            c.rows_in_flight as i64,
            c.created as i64,
            c.updated as i64,
            c.unchanged as i64,
            c.skipped as i64,
            c.kept_unsubscribed as i64,
            job.report.as_ref().map(ToString::to_string),
            job.error,
            job.started_at.map(Timestamp::millis),
            job.finished_at.map(Timestamp::millis),
            job.heartbeat_at.millis(),
        ])?;
    Ok(saved == 1)
}

fn find(conn: &Connection, id: &ImportId) -> Result<Option<ImportJob>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM imports WHERE id = ?1"))?
        .query_row([id.as_str()], job_from_row)
        .optional()?
        .transpose()
}

fn list(
    conn: &Connection,
    workspace: &WorkspaceId,
    limit: u32,
) -> Result<Vec<ImportJob>, StoreError> {
    let rows: Vec<_> = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM imports WHERE workspace_id = ?1 \
             ORDER BY created_at DESC, id DESC LIMIT ?2"
        ))?
        .query_map(params![workspace.as_str(), i64::from(limit)], job_from_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().collect()
}

fn export(
    conn: &Connection,
    after: Option<&(Timestamp, ImportId)>,
    limit: u32,
) -> Result<Vec<ImportJob>, StoreError> {
    let (created, id) = match after {
        Some((t, id)) => (t.millis(), id.as_str()),
        None => (i64::MIN, ""),
    };
    let rows: Vec<_> = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM imports WHERE (created_at, id) > (?1, ?2) \
             ORDER BY created_at, id LIMIT ?3"
        ))?
        .query_map(params![created, id, i64::from(limit)], job_from_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().collect()
}

fn interrupt_abandoned(
    conn: &Connection,
    heartbeat_before: Timestamp,
    now: Timestamp,
) -> Result<u64, StoreError> {
    let changed = conn
        .prepare_cached(
            "UPDATE imports SET status = 'interrupted', finished_at = ?2, heartbeat_at = ?2 \
             WHERE status IN ('queued', 'running') AND heartbeat_at < ?1",
        )?
        .execute(params![heartbeat_before.millis(), now.millis()])?;
    Ok(changed as u64)
}

#[async_trait]
impl ImportStore for SqliteStore {
    async fn create_import(&self, job: &ImportJob) -> Result<(), StoreError> {
        let job = job.clone();
        self.writer
            .write(move |conn| insert(conn, &job, "INSERT"))
            .await
    }

    async fn save_import(&self, job: &ImportJob) -> Result<bool, StoreError> {
        let job = job.clone();
        self.writer.write(move |conn| save(conn, &job)).await
    }

    async fn find_import(&self, id: &ImportId) -> Result<Option<ImportJob>, StoreError> {
        let id = id.clone();
        self.readers.read(move |conn| find(conn, &id)).await
    }

    async fn list_imports(
        &self,
        workspace: &WorkspaceId,
        limit: u32,
    ) -> Result<Vec<ImportJob>, StoreError> {
        let workspace = workspace.clone();
        self.readers
            .read(move |conn| list(conn, &workspace, limit))
            .await
    }

    async fn interrupt_abandoned_imports(
        &self,
        heartbeat_before: Timestamp,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        self.writer
            .write(move |conn| interrupt_abandoned(conn, heartbeat_before, now))
            .await
    }

    async fn export_imports(
        &self,
        after: Option<(Timestamp, ImportId)>,
        limit: u32,
    ) -> Result<Vec<ImportJob>, StoreError> {
        self.readers
            .read(move |conn| export(conn, after.as_ref(), limit))
            .await
    }

    async fn import_imports(&self, jobs: Vec<ImportJob>) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| {
                jobs.iter()
                    .try_for_each(|job| insert(conn, job, "INSERT OR IGNORE"))
            })
            .await
    }
}
