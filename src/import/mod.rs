//! The import engine: a file from another newsletter tool (or another purrlist) moved into
//! a workspace, used by `purrlist import` and by HTTP imports. Its format is detected from
//! the header or forced (`domain::import_format` says what each tool's columns mean), each
//! chunk of rows is planned by `domain::import_plan` (the bulk rules plus consent safety:
//! an unsubscribed contact stays unsubscribed unless `resubscribe`) and written by
//! `TransferStore::import_contact_chunks`, whole chunks or nothing, recorded in the change
//! feed as `Actor::Import(format)` (source `import:<format>`).
//!
//! The file is read twice, streaming, so memory stays bounded whatever its size: once to
//! check every row (bad rows refuse the file before anything is written, unless
//! `skip_invalid`), once to write. A dry run does both passes and writes nothing: its
//! second pass plans each chunk over the stored contacts and what the earlier chunks would
//! have written ([`earlier`]), so it reports exactly what a real run would. Line numbers are
//! the file's own physical lines ([`lines`]).

mod chunks;
mod earlier;
mod lines;
mod report;
mod source;

pub use report::{BadRow, ImportReport, ImportStatus, LISTED_BAD_ROWS};

use crate::domain::bulk::MAX_BULK_ITEMS;
use crate::domain::events::Actor;
use crate::domain::evidence::Evidence;
use crate::domain::ids::WorkspaceId;
use crate::domain::import_format::{ColumnMapping, Format, HeaderError};
use crate::domain::timestamp::Timestamp;
use crate::store::{ImportWrite, StoreError, TransferStore};
use chunks::{CHUNKS_PER_GROUP, Numbered, Pipeline, Sink};
use earlier::Earlier;
use source::Source;
use std::path::Path;
use std::sync::Arc;
use thiserror::Error;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The format, or `None` to detect it from the first line and the header.
    pub format: Option<Format>,
    /// `--map` and `--ignore`.
    pub mapping: ColumnMapping,
    /// Check and plan everything, write nothing.
    pub dry_run: bool,
    /// Let rows turn unsubscribed contacts back to subscribed.
    pub resubscribe: bool,
    /// Let rows subscribe suppressed addresses (lifting their suppressions).
    pub override_suppression: bool,
    /// Write the good rows and report the bad ones, instead of refusing the file.
    pub skip_invalid: bool,
    /// The request that asked for the import (`POST /v1/imports`): its IP, user agent and
    /// request id go into every event's evidence; `None` for the CLI.
    pub requested_by: Option<Evidence>,
}

/// Which read of the file is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportPass {
    /// The first: every row checked.
    Check,
    /// The second: rows written (or, dry, planned).
    Write,
}

/// Told how far an import is; called every few thousand rows and at the end of a pass.
pub trait ImportProgress: Send + Sync {
    /// `rows` data rows of the current pass read, up to byte `bytes` of the file.
    fn rows_read(&self, rows: u64, bytes: u64);
    /// A pass starts over a file of `total_bytes`.
    fn pass(&self, _pass: ImportPass, _total_bytes: u64) {}
}

/// No progress shown.
pub struct NoProgress;

impl ImportProgress for NoProgress {
    fn rows_read(&self, _rows: u64, _bytes: u64) {}
}

/// Why an import could not run at all (bad rows are in the report, not here).
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file cannot be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The file has no header row (or, NDJSON, no line).
    #[error("the file is empty")]
    Empty,
    /// The header cannot be read in the format.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// The store failed.
    #[error("cannot write contacts")]
    Store(#[from] StoreError),
    /// The write task died.
    #[error("the write task failed: {0}")]
    Task(String),
}

impl ImportError {
    fn io(path: &Path, e: std::io::Error) -> ImportError {
        ImportError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }

    fn csv(path: &Path, e: &csv::Error) -> ImportError {
        ImportError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}

/// Imports `file` into `workspace` (which must exist).
pub async fn run_import(
    store: Arc<dyn TransferStore>,
    workspace: WorkspaceId,
    file: &Path,
    options: &ImportOptions,
    progress: &dyn ImportProgress,
) -> Result<ImportReport, ImportError> {
    let total = std::fs::metadata(file)
        .map_err(|e| ImportError::io(file, e))?
        .len();

    // Pass 1: check every row.
    let mut source = Source::open(file, options.format, &options.mapping)?;
    let mut report = ImportReport::new(source.format(), source.renamings(), options.dry_run);
    let mut earlier = options.dry_run.then(Earlier::default);
    progress.pass(ImportPass::Check, total);
    let mut good = 0u64;
    while let Some(row) = source.next_row(file)? {
        report.rows_read += 1;
        match &row.item {
            Ok(item) => {
                if let Some(earlier) = &mut earlier {
                    earlier.note(chunk_index(good), item);
                }
                good += 1;
            }
            Err(error) => report.bad_row(row.line, error),
        }
        if report.rows_read.is_multiple_of(5_000) {
            progress.rows_read(report.rows_read, row.bytes);
        }
    }
    progress.rows_read(report.rows_read, total);
    if report.bad_row_count > 0 && !options.skip_invalid {
        report.status = ImportStatus::Refused;
        return Ok(report);
    }

    // Pass 2: write (or plan), one group of chunks in flight while the next is read.
    report.clear_bad_rows();
    progress.pass(ImportPass::Write, total);
    let actor = Actor::Import(report.format);
    let evidence = match &options.requested_by {
        Some(request) => Evidence {
            source: Evidence::implied_by(&actor).source,
            ..request.clone()
        },
        None => Evidence::implied_by(&actor),
    };
    let write = ImportWrite {
        now: Timestamp::now(),
        actor,
        evidence,
        resubscribe: options.resubscribe,
        override_suppression: options.override_suppression,
    };
    let sink = earlier.map_or(Sink::Write, Sink::DryRun);
    let mut pipeline = Pipeline::new(&store, &workspace, write, options.skip_invalid, sink);
    let mut source = Source::open(file, Some(report.format), &options.mapping)?;
    let (mut rows, mut good) = (0u64, 0u64);
    let mut chunk = Vec::with_capacity(MAX_BULK_ITEMS);
    let mut group: Vec<Numbered> = Vec::with_capacity(CHUNKS_PER_GROUP);
    loop {
        let row = source.next_row(file)?;
        let at_end = row.is_none();
        if let Some(row) = row {
            rows += 1;
            match row.item {
                Ok(item) => {
                    chunk.push((row.line, item));
                    good += 1;
                }
                Err(error) => {
                    report.bad_row(row.line, &error);
                    report.skipped += 1;
                }
            }
            if rows.is_multiple_of(5_000) {
                progress.rows_read(rows, row.bytes);
            }
        }
        if chunk.len() == MAX_BULK_ITEMS || (at_end && !chunk.is_empty()) {
            let index = chunk_index(good - 1);
            let rows = std::mem::replace(&mut chunk, Vec::with_capacity(MAX_BULK_ITEMS));
            group.push(Numbered { index, rows });
        }
        if group.len() == CHUNKS_PER_GROUP || (at_end && !group.is_empty()) {
            pipeline
                .send(std::mem::take(&mut group), &mut report)
                .await?;
        }
        if at_end || report.status != ImportStatus::Done {
            break;
        }
    }
    pipeline.wait(&mut report).await?;
    progress.rows_read(rows, total);
    report.bad_rows.sort_by_key(|row| row.line);
    Ok(report)
}

/// The chunk the `n`th good row (from 0) falls in.
fn chunk_index(n: u64) -> u32 {
    u32::try_from(n / MAX_BULK_ITEMS as u64).unwrap_or(u32::MAX)
}
