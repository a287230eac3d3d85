//! The JSON shape of an import job (`POST /v1/imports`, `GET /v1/imports/{id}`).

use crate::domain::import_job::{ImportJob, ImportStatus};
use crate::domain::timestamp::Timestamp;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// One row the import could not take, by its line in the file as sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct BadRowBody {
    /// The physical line of the file (1 is the header of a CSV file), counting blank lines
    /// and the lines inside quoted cells.
    #[schema(example = 7, minimum = 1)]
    pub line: u64,
    /// The column or field at fault.
    #[schema(example = "email")]
    pub field: String,
    /// A sentence for a person.
    #[schema(example = "`email` must be a valid email address.")]
    pub message: String,
}

/// An import job: what was asked, where it stands, what it has written, and its report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportBody {
    /// `imp_` + 21 characters.
    #[schema(
        example = "imp_V1StGXR8_Z5jdHi6B-myT",
        pattern = "^imp_[A-Za-z0-9_-]{21}$"
    )]
    pub id: String,
    /// The workspace imported into.
    #[schema(
        example = "wks_Tj4fTx-GWT0kCkKc375tG",
        pattern = "^wks_[A-Za-z0-9_-]{21}$"
    )]
    pub newsletter_id: String,
    /// `queued`, `running`, `succeeded`, `failed` or `interrupted`; the last three are final.
    #[schema(example = "succeeded")]
    pub status: &'static str,
    /// The format the rows are read as: the one asked for, else the one detected (once known).
    #[schema(example = "mailchimp")]
    pub format: Option<String>,
    /// A dry run writes nothing and reports what a real run would do.
    pub dry_run: bool,
    /// Whether rows may re-subscribe unsubscribed contacts.
    pub resubscribe: bool,
    /// Whether bad rows are skipped (else the whole file is refused).
    pub skip_invalid: bool,
    /// Whether rows may subscribe suppressed addresses (lifting their suppressions).
    pub override_suppression: bool,
    /// Size of the body received.
    pub body_bytes: u64,
    /// Data rows read so far: the progress while `running`.
    pub rows_read: u64,
    /// Rows committed to the database (whole chunks, in file order).
    pub rows_written: u64,
    /// Rows being committed when the job stopped (an `interrupted` or `failed` job: each
    /// chunk of them is whole or absent); 0 otherwise.
    pub rows_in_flight: u64,
    /// Contacts created (for a dry run: that would be).
    pub created: u64,
    /// Contacts updated.
    pub updated: u64,
    /// Rows that matched a contact and changed nothing.
    pub unchanged: u64,
    /// Rows skipped as invalid.
    pub skipped: u64,
    /// Rows that would have re-subscribed an unsubscribed contact and did not.
    pub kept_unsubscribed: u64,
    /// The first 50 bad rows, by their line in the file (`bad_row_count` counts them all).
    pub bad_rows: Vec<BadRowBody>,
    /// Bad rows in the file.
    pub bad_row_count: u64,
    /// The engine's whole report once the job ends (renamed headers, the format detected…);
    /// `null` before.
    #[schema(value_type = Option<Object>)]
    pub report: Option<Value>,
    /// Why it failed, or (interrupted) which rows were written; `null` otherwise.
    pub message: Option<String>,
    /// When it was accepted (RFC 3339, UTC, milliseconds).
    #[serde(rename = "createdAt")]
    #[schema(value_type = String, format = DateTime, example = "2024-05-01T10:00:00.000Z")]
    pub created_at: Timestamp,
    /// When it started running.
    #[serde(rename = "startedAt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub started_at: Option<Timestamp>,
    /// When it ended.
    #[serde(rename = "finishedAt")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<Timestamp>,
}

/// A page of a workspace's imports, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportList {
    /// The jobs.
    pub data: Vec<ImportBody>,
}

/// The bad rows of a report, as far as they read as rows.
fn bad_rows(report: Option<&Value>) -> Vec<BadRowBody> {
    let rows = report
        .and_then(|r| r.get("bad_rows"))
        .and_then(Value::as_array);
    rows.into_iter()
        .flatten()
        .filter_map(|row| {
            Some(BadRowBody {
                line: row.get("line")?.as_u64()?,
                field: row.get("field")?.as_str()?.to_owned(),
                message: row.get("message")?.as_str()?.to_owned(),
            })
        })
        .collect()
}

impl From<ImportJob> for ImportBody {
    fn from(job: ImportJob) -> ImportBody {
        let bad_rows = bad_rows(job.report.as_ref());
        let bad_row_count = job
            .report
            .as_ref()
            .and_then(|r| r.get("bad_row_count"))
            .and_then(Value::as_u64)
            .unwrap_or(bad_rows.len() as u64);
        let message = match job.status {
            ImportStatus::Interrupted => job.interruption(),
            _ => job.error.clone(),
        };
        let c = job.counts;
        ImportBody {
            id: job.id.to_string(),
            newsletter_id: job.workspace.to_string(),
            status: job.status.as_str(),
            format: job.format,
            dry_run: job.settings.dry_run,
            resubscribe: job.settings.resubscribe,
            skip_invalid: job.settings.skip_invalid,
            override_suppression: job.settings.override_suppression,
            body_bytes: job.body_bytes,
            rows_read: c.rows_read,
            rows_written: c.rows_written,
            rows_in_flight: c.rows_in_flight,
            created: c.created,
            updated: c.updated,
            unchanged: c.unchanged,
            skipped: c.skipped,
            kept_unsubscribed: c.kept_unsubscribed,
            bad_rows,
            bad_row_count,
            report: job.report,
            message,
            created_at: job.created_at,
            started_at: job.started_at,
            finished_at: job.finished_at,
        }
    }
}
