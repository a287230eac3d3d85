//! The one place a job calls the import engine (`crate::import`, the same engine as
//! `purrlist import`), turning its options, progress and report into the job's terms.

use super::tracker::Tracker;
use crate::domain::evidence::Evidence;
use crate::domain::ids::WorkspaceId;
use crate::domain::import_format::{ColumnMapping, Format};
use crate::domain::import_job::{ImportCounts, ImportSettings};
use crate::import::{ImportOptions, ImportProgress, ImportReport, ImportStatus, run_import};
use crate::store::TransferStore;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;

/// What a finished run reports.
pub struct Finished {
    /// The format the rows were read as.
    pub format: Option<String>,
    /// Its counts.
    pub counts: ImportCounts,
    /// The engine's whole report, as JSON.
    pub report: Value,
}

/// Why a run stopped short.
pub struct Stopped {
    /// For a person.
    pub message: String,
    /// What the engine had found, when it says.
    pub report: Option<Value>,
}

impl ImportProgress for Tracker {
    fn rows_read(&self, rows: u64, bytes: u64) {
        self.read_so_far(rows, bytes);
    }
}

/// Runs the engine over the spooled `file` into `workspace`, writing through `store`.
pub async fn run(
    store: Arc<dyn TransferStore>,
    workspace: WorkspaceId,
    file: &Path,
    settings: &ImportSettings,
    requested_by: Option<Evidence>,
    tracker: &Tracker,
) -> Result<Finished, Stopped> {
    let options = ImportOptions {
        // The route took only names `Format::from_name` knows.
        format: settings.format.as_deref().and_then(Format::from_name),
        mapping: ColumnMapping::default(),
        dry_run: settings.dry_run,
        resubscribe: settings.resubscribe,
        override_suppression: settings.override_suppression,
        skip_invalid: settings.skip_invalid,
        requested_by,
    };
    let report = run_import(store, workspace, file, &options, tracker)
        .await
        .map_err(|e| Stopped {
            // The engine names the file; the client knows it only as "the file".
            message: format!(
                "The import failed: {}.",
                e.to_string()
                    .replace(&file.display().to_string(), "the file")
            ),
            report: None,
        })?;
    let json = serde_json::to_value(&report).unwrap_or(Value::Null);
    match report.status {
        ImportStatus::Done => Ok(Finished {
            format: Some(report.format.name().to_owned()),
            counts: counts(&report),
            report: json,
        }),
        ImportStatus::Refused => Err(Stopped {
            message: format!(
                "The file is refused: {} of {} row(s) are invalid (listed in `bad_rows`); nothing was written. Fix them, or import with `skip_invalid=true` to write only the valid rows.",
                report.bad_row_count, report.rows_read
            ),
            report: Some(json),
        }),
        ImportStatus::Stopped => Err(Stopped {
            message: format!(
                "The import stopped at line {}: a row cannot be merged into the stored contact it names (listed in `bad_rows`). Import with `skip_invalid=true` to skip such rows.",
                report.stopped_at_line.unwrap_or(0)
            ),
            report: Some(json),
        }),
    }
}

fn counts(report: &ImportReport) -> ImportCounts {
    ImportCounts {
        rows_read: report.rows_read,
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        skipped: report.skipped,
        kept_unsubscribed: report.kept_unsubscribed,
        ..ImportCounts::default()
    }
}
