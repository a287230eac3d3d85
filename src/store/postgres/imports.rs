//! Import jobs: [`ImportStore`] on PostgreSQL, readable by every node; the node running a
//! job keeps its heartbeat fresh, so another node's start never takes it for abandoned.

use super::PostgresStore;
use super::statements::Sql;
use crate::domain::ids::{ApiKeyId, ImportId, WorkspaceId};
use crate::domain::import_job::{ImportCounts, ImportJob, ImportStatus};
use crate::domain::timestamp::Timestamp;
use crate::store::{ImportStore, StoreError};
use async_trait::async_trait;
use deadpool_postgres::Client;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// Every column, in the order [`job_from_row`] reads them.
const COLUMNS: &str = "id, workspace_id, api_key_id, settings, format, status, body_bytes, \
    rows_read, bytes_read, rows_written, rows_in_flight, created, updated, unchanged, skipped, \
    kept_unsubscribed, report, error, created_at, started_at, finished_at, heartbeat_at";

fn job_from_row(row: &Row) -> Result<ImportJob, StoreError> {
    let id: String = row.try_get(0)?;
    let unreadable = |what: &str| StoreError::Internal(format!("import {id}: unreadable {what}"));
    let count =
        |i: usize| -> Result<u64, StoreError> { Ok(row.try_get::<_, i64>(i)?.max(0) as u64) };
    let settings: String = row.try_get(3)?;
    let status: String = row.try_get(5)?;
    let report: Option<String> = row.try_get(16)?;
    Ok(ImportJob {
        settings: serde_json::from_str(&settings).map_err(|_| unreadable("settings"))?,
        status: ImportStatus::parse(&status).ok_or_else(|| unreadable("status"))?,
        report: match report {
            Some(text) => Some(serde_json::from_str(&text).map_err(|_| unreadable("report"))?),
            None => None,
        },
        workspace: WorkspaceId::from_stored(row.try_get(1)?),
        api_key: ApiKeyId::from_stored(row.try_get(2)?),
        format: row.try_get(4)?,
        body_bytes: count(6)?,
        counts: ImportCounts {
            rows_read: count(7)?,
            bytes_read: count(8)?,
            rows_written: count(9)?,
            rows_in_flight: count(10)?,
            created: count(11)?,
            updated: count(12)?,
            unchanged: count(13)?,
            skipped: count(14)?,
            kept_unsubscribed: count(15)?,
        },
        error: row.try_get(17)?,
        created_at: Timestamp::from_millis(row.try_get(18)?),
        started_at: row
            .try_get::<_, Option<i64>>(19)?
            .map(Timestamp::from_millis),
        finished_at: row
            .try_get::<_, Option<i64>>(20)?
            .map(Timestamp::from_millis),
        heartbeat_at: Timestamp::from_millis(row.try_get(21)?),
        id: ImportId::from_stored(id),
    })
}

/// A job's columns as parameters, in [`COLUMNS`] order.
struct Values {
    settings: String,
    counts: [i64; 10],
    report: Option<String>,
    times: (i64, Option<i64>, Option<i64>, i64),
}

impl Values {
    fn of(job: &ImportJob) -> Result<Values, StoreError> {
        let c = &job.counts;
        Ok(Values {
            settings: serde_json::to_string(&job.settings)
                .map_err(|e| StoreError::Internal(format!("import settings: {e}")))?,
            counts: [
                job.body_bytes,
                c.rows_read,
                c.bytes_read,
                c.rows_written,
                c.rows_in_flight,
                c.created,
                c.updated,
                c.unchanged,
                c.skipped,
                c.kept_unsubscribed,
            ]
            .map(|n| n as i64),
            report: job.report.as_ref().map(ToString::to_string),
            times: (
                job.created_at.millis(),
                job.started_at.map(Timestamp::millis),
                job.finished_at.map(Timestamp::millis),
                job.heartbeat_at.millis(),
            ),
        })
    }
}

async fn insert(client: &impl Sql, job: &ImportJob, skip_same_id: bool) -> Result<(), StoreError> {
    let v = Values::of(job)?;
    let placeholders: Vec<String> = (1..=22).map(|i| format!("${i}")).collect();
    let conflict = if skip_same_id {
        " ON CONFLICT (id) DO NOTHING"
    } else {
        ""
    };
    let sql = format!(
        "INSERT INTO imports ({COLUMNS}) VALUES ({}){conflict}",
        placeholders.join(", ")
    );
    let (id, workspace, key, status) = (
        job.id.as_str(),
        job.workspace.as_str(),
        job.api_key.as_str(),
        job.status.as_str(),
    );
    let mut params: Vec<&(dyn ToSql + Sync)> =
        vec![&id, &workspace, &key, &v.settings, &job.format, &status];
    params.extend(v.counts.iter().map(|n| n as &(dyn ToSql + Sync)));
    params.extend([
        &v.report as &(dyn ToSql + Sync),
        &job.error,
        &v.times.0,
        &v.times.1,
        &v.times.2,
        &v.times.3,
    ]);
    client.run(&sql, &params).await?;
    Ok(())
}

async fn save(client: &Client, job: &ImportJob) -> Result<bool, StoreError> {
    let v = Values::of(job)?;
    let sql = "UPDATE imports SET format = $2, status = $3, rows_read = $4, bytes_read = $5, \
             rows_written = $6, rows_in_flight = $7, created = $8, updated = $9, unchanged = $10, \
             skipped = $11, kept_unsubscribed = $12, report = $13, error = $14, started_at = $15, \
             finished_at = $16, heartbeat_at = $17 \
             WHERE id = $1 AND status IN ('queued', 'running')";
    let (id, status) = (job.id.as_str(), job.status.as_str());
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&id, &job.format, &status];
    // counts[0] is body_bytes, which never changes.
    params.extend(v.counts[1..].iter().map(|n| n as &(dyn ToSql + Sync)));
    params.extend([
        &v.report as &(dyn ToSql + Sync),
        &job.error,
        &v.times.1,
        &v.times.2,
        &v.times.3,
    ]);
    Ok(client.run(sql, &params).await? == 1)
}

async fn query_jobs(
    client: &Client,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<ImportJob>, StoreError> {
    client
        .rows(sql, params)
        .await?
        .iter()
        .map(job_from_row)
        .collect()
}

#[async_trait]
impl ImportStore for PostgresStore {
    async fn create_import(&self, job: &ImportJob) -> Result<(), StoreError> {
        self.timed(async { insert(&self.client().await?, job, false).await })
            .await
    }

    async fn save_import(&self, job: &ImportJob) -> Result<bool, StoreError> {
        self.timed(async { save(&self.client().await?, job).await })
            .await
    }

    async fn find_import(&self, id: &ImportId) -> Result<Option<ImportJob>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM imports WHERE id = $1");
        let jobs = self
            .timed(async { query_jobs(&self.client().await?, &sql, &[&id.as_str()]).await })
            .await?;
        Ok(jobs.into_iter().next())
    }

    async fn list_imports(
        &self,
        workspace: &WorkspaceId,
        limit: u32,
    ) -> Result<Vec<ImportJob>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM imports WHERE workspace_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        );
        let limit = i64::from(limit);
        self.timed(async {
            query_jobs(&self.client().await?, &sql, &[&workspace.as_str(), &limit]).await
        })
        .await
    }

    async fn interrupt_abandoned_imports(
        &self,
        heartbeat_before: Timestamp,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        self.timed(async {
            Ok(self
                .client()
                .await?
                .run(
                    "UPDATE imports SET status = 'interrupted', finished_at = $2, heartbeat_at = $2 \
                     WHERE status IN ('queued', 'running') AND heartbeat_at < $1",
                    &[&heartbeat_before.millis(), &now.millis()],
                )
                .await?)
        })
        .await
    }

    async fn export_imports(
        &self,
        after: Option<(Timestamp, ImportId)>,
        limit: u32,
    ) -> Result<Vec<ImportJob>, StoreError> {
        let (created, id) = match &after {
            Some((t, id)) => (t.millis(), id.as_str()),
            None => (i64::MIN, ""),
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM imports WHERE (created_at, id) > ($1, $2) \
             ORDER BY created_at, id LIMIT $3"
        );
        let limit = i64::from(limit);
        self.timed(async {
            query_jobs(&self.client().await?, &sql, &[&created, &id, &limit]).await
        })
        .await
    }

    async fn import_imports(&self, jobs: Vec<ImportJob>) -> Result<(), StoreError> {
        self.timed(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            for job in &jobs {
                insert(&tx, job, true).await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}
