//! A header read in one format, with the person's `--map`/`--ignore` over it, and each row
//! read through it into an [`ImportedContact`].
//!
//! Decisions (also in docs/import.md): a header name is trimmed and its byte-order mark
//! dropped; `custom.<key>` names the custom field `<key>` in every format; a column that
//! is not a valid custom-field key gets a valid one and the renaming is reported, as is a
//! key that two columns would share (the later one gets ` 2`, ` 3`, …). Only two columns
//! that both claim one contact field (two `email` columns) refuse the file. Cells are
//! trimmed (not in purrlist's own export, read exactly as written) and an empty cell is
//! "not given"; a row saying both subscribed and unsubscribed
//! (a status `active` with an `unsubscribed_at`) is unsubscribed. In a generic CSV, a
//! column nobody mapped whose cell reads as an opt-out (`cancelled`) refuses its row.

use super::super::csv_cells::unescape_formula;
use super::super::csv_columns::CUSTOM_PREFIX;
use super::super::patch_input::FieldError;
use super::contact::ImportedContact;
use super::generic::reads_as_opt_out;
use super::mapping::{ColumnMapping, Target};
use super::row::Row;
use super::values::valid_key;
use super::{Consent, Format, Meaning, normal_name};
use thiserror::Error;

/// A column whose header was not a valid custom-field key, and the key it got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Renaming {
    /// One-based column number.
    pub column: usize,
    /// The header as written.
    pub header: String,
    /// The custom-field key its cells go to.
    pub key: String,
}

/// Why a header cannot be read; the file is refused whole.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HeaderError {
    /// No column holds the email.
    #[error("the header has no email column (use --map \"COLUMN=email\")")]
    MissingEmail,
    /// Two columns hold the same contact field.
    #[error("the columns {0:?} and {1:?} both hold `{2}` (use --ignore on one)")]
    Duplicate(String, String, &'static str),
    /// `--map`/`--ignore` names a column the header does not have.
    #[error("--map/--ignore name the column {0:?}, which the header does not have")]
    UnknownColumn(String),
    /// NDJSON has no header: read it with [`super::ndjson::contact`].
    #[error("NDJSON has no header row")]
    NotCsv,
}

/// One column: its header as written, what it means, and the custom-field key its cells
/// also (or only) go to.
#[derive(Debug, Clone)]
pub(super) struct Column {
    pub(super) header: String,
    pub(super) meaning: Meaning,
    pub(super) key: Option<String>,
    /// A generic CSV's own column kept as text: a cell that reads as an opt-out refuses
    /// its row (`generic::reads_as_opt_out`).
    pub(super) guarded: bool,
}

/// What each column of a file holds in a format.
#[derive(Debug, Clone)]
pub struct FormatColumns {
    format: Format,
    columns: Vec<Column>,
    renamings: Vec<Renaming>,
    /// Consent that the file itself states (Mailchimp's unsubscribed or cleaned export).
    file_consent: Option<Consent>,
}

impl FormatColumns {
    /// Reads a header row in `format` with the person's mapping.
    pub fn new<'a>(
        format: Format,
        header: impl IntoIterator<Item = &'a str>,
        mapping: &ColumnMapping,
    ) -> Result<FormatColumns, HeaderError> {
        if format == Format::Ndjson {
            return Err(HeaderError::NotCsv);
        }
        let headers: Vec<String> = header.into_iter().map(|h| normal_name(h).into()).collect();
        if let Some(unknown) = mapping
            .columns()
            .find(|c| !headers.iter().any(|h| h.eq_ignore_ascii_case(c)))
        {
            return Err(HeaderError::UnknownColumn(unknown.to_owned()));
        }
        let mut columns = Vec::with_capacity(headers.len());
        let mut renamings = Vec::new();
        for (index, header) in headers.into_iter().enumerate() {
            let rule = mapping.rule(&header);
            let meaning = match rule {
                Some(None) => Meaning::Ignored,
                Some(Some(target)) => target_meaning(target),
                None => format
                    .meaning(&header.to_lowercase())
                    .unwrap_or(Meaning::Custom("")),
            };
            let wanted = match &meaning {
                Meaning::Custom("") => match rule {
                    Some(Some(Target::Custom(key))) => Some(key.clone()),
                    _ => Some(header.clone()),
                },
                Meaning::Custom(key) => Some((*key).to_owned()),
                Meaning::Status(_)
                | Meaning::AllUnsubscribed
                | Meaning::AllCleaned
                | Meaning::UnsubscribedWhenSet
                | Meaning::SignedUpFallback => Some(header.clone()),
                _ => None,
            };
            let key = wanted.map(|wanted| {
                let wanted = wanted.strip_prefix(CUSTOM_PREFIX).unwrap_or(&wanted);
                let key = unique_key(&columns, wanted, index);
                if key != wanted {
                    renamings.push(Renaming {
                        column: index + 1,
                        header: header.clone(),
                        key: key.clone(),
                    });
                }
                key
            });
            // Only a column nobody said anything about: not mapped, not `custom.<key>`.
            let guarded = format == Format::Csv
                && rule.is_none()
                && matches!(meaning, Meaning::Custom(""))
                && !header.starts_with(CUSTOM_PREFIX);
            columns.push(Column {
                header,
                meaning,
                key,
                guarded,
            });
        }
        check_fields(&columns)?;
        let has = |wanted: fn(&Meaning) -> bool| columns.iter().any(|c| wanted(&c.meaning));
        let file_consent = if has(|m| matches!(m, Meaning::AllCleaned)) {
            Consent::suppressed(super::SuppressionHint::Bounced)
        } else if has(|m| matches!(m, Meaning::AllUnsubscribed)) {
            Consent::UNSUBSCRIBED
        } else if format == Format::Mailchimp {
            Consent::SUBSCRIBED
        } else {
            None
        };
        Ok(FormatColumns {
            format,
            columns,
            renamings,
            file_consent,
        })
    }

    /// The format the header was read in.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The columns whose header became another custom-field key.
    pub fn renamings(&self) -> &[Renaming] {
        &self.renamings
    }

    /// Reads one data row; a missing trailing cell is empty, an extra one is an error.
    pub fn contact<'a>(
        &self,
        cells: impl IntoIterator<Item = &'a str>,
    ) -> Result<ImportedContact, FieldError> {
        let mut row = Row::default();
        let mut count = 0;
        // purrlist's own export is taken as written (a value may begin with a line break).
        let exact = self.format == Format::Purrlist;
        for (index, cell) in cells.into_iter().enumerate() {
            count = index + 1;
            let cell = if exact { cell } else { cell.trim() };
            let Some(column) = self.columns.get(index) else {
                continue;
            };
            if column.guarded && reads_as_opt_out(cell) {
                return Err(unread_opt_out(column, cell));
            }
            if !cell.is_empty() {
                // Undo the formula escaping of purrlist's own export (domain::csv_cells).
                row.read(column, unescape_formula(cell))?;
            }
        }
        if count > self.columns.len() {
            let message = format!(
                "The row has {count} cells; the header has {}.",
                self.columns.len()
            );
            return Err(FieldError::invalid("row", message));
        }
        if let Some(consent) = self.file_consent {
            row.consent(consent);
        }
        row.finish(self.format != Format::Purrlist)
    }
}

/// A generic CSV's text column says a person opted out: refusing the row is safer than
/// importing them as subscribed with the word kept as a custom field.
fn unread_opt_out(column: &Column, cell: &str) -> FieldError {
    let header = &column.header;
    let message = format!(
        "`{header}` says {cell:?}, an opt-out, but a generic CSV keeps this column only as \
         text and would import the person as subscribed. Name the tool the file comes from \
         (--format, or format= over HTTP), or map the column to a custom field to keep it as \
         text (--map \"{header}=custom_fields.KEY\")."
    );
    FieldError::invalid(header, message)
}

fn target_meaning(target: &Target) -> Meaning {
    match target {
        Target::Email => Meaning::Email,
        Target::Name => Meaning::Name,
        Target::FirstName => Meaning::FirstName,
        Target::LastName => Meaning::LastName,
        Target::Subscribed => Meaning::Subscribed,
        Target::Unsubscribed => Meaning::Unsubscribed,
        Target::SignedUpAt => Meaning::SignedUp,
        Target::Tags => Meaning::Tags,
        // The key comes from the mapping (see `FormatColumns::new`).
        Target::Custom(_) => Meaning::Custom(""),
    }
}

/// Refuses two columns for one contact field, and a header without an email column.
fn check_fields(columns: &[Column]) -> Result<(), HeaderError> {
    let mut seen: Vec<(&'static str, &str)> = Vec::new();
    for column in columns {
        let Some(field) = column.meaning.field() else {
            continue;
        };
        if let Some((_, first)) = seen.iter().find(|(f, _)| *f == field) {
            let (first, second) = ((*first).to_owned(), column.header.clone());
            return Err(HeaderError::Duplicate(first, second, field));
        }
        seen.push((field, &column.header));
    }
    if !seen.iter().any(|(f, _)| *f == "email") {
        return Err(HeaderError::MissingEmail);
    }
    Ok(())
}

/// A valid key for `wanted` that no earlier column holds.
fn unique_key(columns: &[Column], wanted: &str, index: usize) -> String {
    let base = valid_key(wanted).unwrap_or_else(|| format!("column {}", index + 1));
    let taken = |key: &str| columns.iter().any(|c| c.key.as_deref() == Some(key));
    (1..)
        .map(|n| match n {
            1 => base.clone(),
            n => format!("{base} {n}"),
        })
        .find(|key| !taken(key))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests;
