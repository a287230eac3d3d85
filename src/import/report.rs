//! What an import did (or, dry, would do): the format it read, the renamed columns, the
//! counts, and the bad rows by the file's own physical line numbers. Serialised as the
//! CLI's `--json`-free report and as `GET /v1/imports/{id}`'s body.

use crate::domain::import_format::{Format, Renaming};
use crate::domain::patch_input::FieldError;
use serde::{Serialize, Serializer};

/// Bad rows listed one by one; the rest are only counted.
pub const LISTED_BAD_ROWS: usize = 50;

/// How the import ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Every row was written (or, dry, would be), bad rows skipped under `skip_invalid`.
    Done,
    /// Bad rows and no `skip_invalid`: the file was refused and nothing was written.
    Refused,
    /// A chunk could not be merged into the stored contacts and there was no
    /// `skip_invalid`: the chunks before `stopped_at_line` were written, nothing after.
    Stopped,
}

/// One row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRow {
    /// The physical line of the file the row starts on (1 is the first line).
    pub line: u64,
    /// The field at fault (`row` for the row as a whole).
    pub field: String,
    /// Why, for a person.
    pub message: String,
}

/// The report of one import.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    /// The format the file was read in (detected or forced).
    #[serde(serialize_with = "format_name")]
    pub format: Format,
    /// Columns whose header was not a valid custom-field key, and the key they got.
    #[serde(serialize_with = "renamings")]
    pub renamings: Vec<Renaming>,
    /// Whether nothing was written on purpose.
    pub dry_run: bool,
    /// How it ended.
    pub status: ImportStatus,
    /// Data rows read (blank lines are not rows).
    pub rows_read: u64,
    /// Contacts created.
    pub created: u64,
    /// Rows that changed a contact.
    pub updated: u64,
    /// Rows that matched a contact and changed nothing.
    pub unchanged: u64,
    /// Bad rows left out (under `skip_invalid`).
    pub skipped: u64,
    /// Rows that said subscribed over an unsubscribed contact, which stayed unsubscribed.
    pub kept_unsubscribed: u64,
    /// Rows kept from subscribing a suppressed address (an erased one left out).
    pub kept_suppressed: u64,
    /// The first [`LISTED_BAD_ROWS`] bad rows.
    pub bad_rows: Vec<BadRow>,
    /// Every bad row.
    pub bad_row_count: u64,
    /// With [`ImportStatus::Stopped`], the line of the first row not written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped_at_line: Option<u64>,
}

impl ImportReport {
    pub(super) fn new(format: Format, renamings: Vec<Renaming>, dry_run: bool) -> ImportReport {
        ImportReport {
            format,
            renamings,
            dry_run,
            status: ImportStatus::Done,
            rows_read: 0,
            created: 0,
            updated: 0,
            unchanged: 0,
            skipped: 0,
            kept_unsubscribed: 0,
            kept_suppressed: 0,
            bad_rows: Vec::new(),
            bad_row_count: 0,
            stopped_at_line: None,
        }
    }

    /// Notes a bad row (listed while fewer than [`LISTED_BAD_ROWS`] are).
    pub(super) fn bad_row(&mut self, line: u64, error: &FieldError) {
        self.bad_row_count += 1;
        if self.bad_rows.len() < LISTED_BAD_ROWS {
            self.bad_rows.push(BadRow {
                line,
                field: error.field.clone(),
                message: error.message.clone(),
            });
        }
    }

    /// Forgets the bad rows (the write pass lists them again as it meets them).
    pub(super) fn clear_bad_rows(&mut self) {
        self.bad_rows.clear();
        self.bad_row_count = 0;
    }
}

fn format_name<S: Serializer>(format: &Format, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(format.name())
}

fn renamings<S: Serializer>(renamings: &[Renaming], s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Shown<'a> {
        column: usize,
        header: &'a str,
        key: &'a str,
    }
    s.collect_seq(renamings.iter().map(|r| Shown {
        column: r.column,
        header: &r.header,
        key: &r.key,
    }))
}
