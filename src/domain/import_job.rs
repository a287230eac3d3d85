//! An import run over HTTP (`POST /v1/imports`) as a job: what was asked, where it stands,
//! what it has written so far, and what a stop in the middle leaves (whole chunks, and a
//! job that says which rows). The engine that reads and writes the rows is `crate::import`.

use super::ids::{ApiKeyId, ImportId, WorkspaceId};
use super::timestamp::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Bad rows a job keeps one by one (the report counts them all in `bad_row_count`).
pub const MAX_KEPT_BAD_ROWS: usize = 1000;

/// Where a job stands. `queued` and `running` change; the other three are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportStatus {
    /// Accepted, its body spooled, not started yet.
    Queued,
    /// The engine is reading and writing rows.
    Running,
    /// Every row was read; the report says what each became.
    Succeeded,
    /// Refused or stopped by an error; `error` says why. Chunks written before it stay.
    Failed,
    /// The server stopped (crash or shutdown) in the middle; `rows_written` rows were
    /// written whole, `rows_in_flight` more may have been, nothing after them was.
    Interrupted,
}

impl ImportStatus {
    /// Every status, in the order of a job's life.
    pub const ALL: [ImportStatus; 5] = [
        ImportStatus::Queued,
        ImportStatus::Running,
        ImportStatus::Succeeded,
        ImportStatus::Failed,
        ImportStatus::Interrupted,
    ];

    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Queued => "queued",
            ImportStatus::Running => "running",
            ImportStatus::Succeeded => "succeeded",
            ImportStatus::Failed => "failed",
            ImportStatus::Interrupted => "interrupted",
        }
    }

    /// The status with this stored name.
    pub fn parse(name: &str) -> Option<ImportStatus> {
        ImportStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the job is over (nothing changes it any more).
    pub fn is_final(self) -> bool {
        !matches!(self, ImportStatus::Queued | ImportStatus::Running)
    }
}

/// What the client asked for: the query of `POST /v1/imports`, stored as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ImportSettings {
    /// The format forced by name (`None`: detected from the header).
    pub format: Option<String>,
    /// Report what would happen, write nothing.
    pub dry_run: bool,
    /// Let rows re-subscribe contacts that are unsubscribed.
    pub resubscribe: bool,
    /// Write the good rows and report the bad ones, instead of refusing the whole file.
    pub skip_invalid: bool,
    /// Let rows subscribe suppressed addresses, lifting their suppressions (jobs stored
    /// before this setting existed read as false).
    #[serde(default)]
    pub override_suppression: bool,
}

/// What a job has done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportCounts {
    /// Data rows read from the body.
    pub rows_read: u64,
    /// Bytes of the body read.
    pub bytes_read: u64,
    /// Rows written and committed (whole chunks, in file order).
    pub rows_written: u64,
    /// Rows handed to the database and not yet known to be committed.
    pub rows_in_flight: u64,
    /// Contacts created.
    pub created: u64,
    /// Contacts updated.
    pub updated: u64,
    /// Rows that matched a contact and changed nothing.
    pub unchanged: u64,
    /// Rows skipped as invalid (final report).
    pub skipped: u64,
    /// Rows that would have re-subscribed an unsubscribed contact and did not (final report).
    pub kept_unsubscribed: u64,
}

/// One import job.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportJob {
    /// `imp_` + 21 characters.
    pub id: ImportId,
    /// The workspace imported into.
    pub workspace: WorkspaceId,
    /// The API key that started it.
    pub api_key: ApiKeyId,
    /// What was asked.
    pub settings: ImportSettings,
    /// The format the rows were read as, once known (forced or detected).
    pub format: Option<String>,
    /// Where it stands.
    pub status: ImportStatus,
    /// Size of the body as received.
    pub body_bytes: u64,
    /// What it has done so far.
    pub counts: ImportCounts,
    /// The engine's final report (renamings, bad rows…), JSON, at most
    /// [`MAX_KEPT_BAD_ROWS`] bad rows listed.
    pub report: Option<Value>,
    /// Why it failed, for a person.
    pub error: Option<String>,
    /// When it was accepted.
    pub created_at: Timestamp,
    /// When it started running.
    pub started_at: Option<Timestamp>,
    /// When it ended, whatever the end.
    pub finished_at: Option<Timestamp>,
    /// The last sign of life of the server running it; a `queued` or `running` job whose
    /// heartbeat stops was left by a server that stopped.
    pub heartbeat_at: Timestamp,
}

impl ImportJob {
    /// A new job, queued (its body already spooled under `id`).
    pub fn queued(
        id: ImportId,
        workspace: WorkspaceId,
        api_key: ApiKeyId,
        settings: ImportSettings,
        body_bytes: u64,
        now: Timestamp,
    ) -> ImportJob {
        ImportJob {
            id,
            workspace,
            api_key,
            format: settings.format.clone(),
            settings,
            status: ImportStatus::Queued,
            body_bytes,
            counts: ImportCounts::default(),
            report: None,
            error: None,
            created_at: now,
            started_at: None,
            finished_at: None,
            heartbeat_at: now,
        }
    }

    /// Marks it running.
    pub fn start(&mut self, now: Timestamp) {
        self.status = ImportStatus::Running;
        self.started_at = Some(now);
        self.heartbeat_at = now;
    }

    /// Ends it with the engine's report (its counts replace the running ones, but for
    /// what was read and written, which the job counted itself).
    pub fn succeed(&mut self, counts: ImportCounts, report: Value, now: Timestamp) {
        self.counts = ImportCounts {
            rows_read: counts.rows_read.max(self.counts.rows_read),
            bytes_read: counts.bytes_read.max(self.counts.bytes_read),
            rows_written: self.counts.rows_written,
            rows_in_flight: 0,
            ..counts
        };
        self.report = Some(keep_bad_rows(report));
        self.end(ImportStatus::Succeeded, now);
    }

    /// Ends it as failed: `message` says why, `report` (if the engine made one) what it found.
    /// When rows were written (or may have been), the message says which.
    pub fn fail(&mut self, mut message: String, report: Option<Value>, now: Timestamp) {
        if self.counts.rows_written > 0 || self.counts.rows_in_flight > 0 {
            message.push(' ');
            message.push_str(&written_so_far(&self.counts));
        }
        self.error = Some(message);
        self.report = report.map(keep_bad_rows);
        self.end(ImportStatus::Failed, now);
    }

    /// Ends it as interrupted, with what it had written.
    pub fn interrupt(&mut self, now: Timestamp) {
        self.end(ImportStatus::Interrupted, now);
    }

    fn end(&mut self, status: ImportStatus, now: Timestamp) {
        self.status = status;
        self.finished_at = Some(now);
        self.heartbeat_at = now;
    }

    /// For an interrupted job: which rows it wrote, in a sentence.
    pub fn interruption(&self) -> Option<String> {
        (self.status == ImportStatus::Interrupted).then(|| interruption_message(&self.counts))
    }
}

/// What a job that stopped early had written: the first `rows_written` valid rows of the
/// file whole; the next `rows_in_flight` were being committed (each chunk of them whole or
/// absent); nothing after them.
pub fn written_so_far(counts: &ImportCounts) -> String {
    let mut message = format!(
        "The first {} valid row(s) of the file were written, in whole chunks",
        counts.rows_written
    );
    if counts.rows_in_flight > 0 {
        message.push_str(&format!(
            "; the {} row(s) after them were being committed and may or may not have been written (each chunk of 1000 whole or not at all)",
            counts.rows_in_flight
        ));
    }
    message.push_str("; no later row was written.");
    message
}

/// What an interrupted import left, and what to do about it.
pub fn interruption_message(counts: &ImportCounts) -> String {
    format!(
        "The server stopped during this import. {} Importing the same file again is safe: rows already written come back as unchanged.",
        written_so_far(counts)
    )
}

/// The report with its `bad_rows` list cut to [`MAX_KEPT_BAD_ROWS`] (the count stays).
fn keep_bad_rows(mut report: Value) -> Value {
    if let Some(rows) = report.get_mut("bad_rows").and_then(Value::as_array_mut) {
        rows.truncate(MAX_KEPT_BAD_ROWS);
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn job() -> ImportJob {
        ImportJob::queued(
            ImportId::generate(),
            WorkspaceId::generate(),
            ApiKeyId::generate(),
            ImportSettings::default(),
            10,
            Timestamp::from_millis(1),
        )
    }

    #[test]
    fn statuses_round_trip_and_only_queued_and_running_change() {
        for status in ImportStatus::ALL {
            assert_eq!(ImportStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(ImportStatus::parse("done"), None);
        let open: Vec<_> = ImportStatus::ALL
            .into_iter()
            .filter(|s| !s.is_final())
            .collect();
        assert_eq!(open, [ImportStatus::Queued, ImportStatus::Running]);
    }

    #[test]
    fn a_success_keeps_the_rows_written_and_at_most_the_kept_bad_rows() {
        let mut job = job();
        job.start(Timestamp::from_millis(2));
        job.counts.rows_written = 7;
        job.counts.rows_in_flight = 3;
        let bad: Vec<Value> = (0..MAX_KEPT_BAD_ROWS + 5)
            .map(|i| json!({"line": i}))
            .collect();
        let counts = ImportCounts {
            created: 7,
            ..ImportCounts::default()
        };
        job.succeed(
            counts,
            json!({"bad_rows": bad, "bad_row_count": 1005}),
            Timestamp::from_millis(3),
        );
        assert_eq!(job.status, ImportStatus::Succeeded);
        assert_eq!((job.counts.rows_written, job.counts.rows_in_flight), (7, 0));
        let report = job.report.expect("report");
        assert_eq!(
            report["bad_rows"].as_array().map(Vec::len),
            Some(MAX_KEPT_BAD_ROWS)
        );
        assert_eq!(report["bad_row_count"], 1005);
        assert_eq!(job.finished_at, Some(Timestamp::from_millis(3)));
    }

    #[test]
    fn an_interruption_says_which_rows_were_written() {
        let mut job = job();
        job.counts.rows_written = 2000;
        job.counts.rows_in_flight = 1000;
        job.interrupt(Timestamp::from_millis(5));
        let message = job.interruption().expect("interrupted");
        assert!(message.contains("first 2000 valid row(s)"), "{message}");
        assert!(message.contains("1000 row(s) after them"), "{message}");
        job.counts.rows_in_flight = 0;
        assert!(!interruption_message(&job.counts).contains("after them"));
    }
}
