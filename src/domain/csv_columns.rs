//! Contacts read from CSV rows (`purrlist import`; `domain::contact_export` writes them). A
//! row becomes the same JSON item a bulk request carries and goes through
//! [`parse_bulk_item`], so an import follows the bulk upsert rules exactly (match by
//! normalised email, merge, new contacts subscribed).
//!
//! Decisions (also in docs/import.md): headers `email`, `name`, `first_name`, `last_name`,
//! `subscribed` (trimmed, any case) are those fields; `custom.<key>` is the custom field
//! `<key>`, and any other header is a custom field named as the header. An empty cell means
//! "not given" (the value is kept, or defaults on a new contact). Custom values are text.
//! Cells are written and read through `domain::csv_cells`, which escapes what a spreadsheet
//! would run as a formula and undoes it on import.

use super::bulk::{BulkItem, parse_bulk_item};
use super::csv_cells::{BOOLEAN_WORDS, parse_boolean, unescape_formula};
use super::custom_fields::CustomFields;
use super::patch_input::FieldError;
use serde_json::{Map, Value};

/// The header prefix that marks a custom field explicitly, as export writes it
/// (`domain::contact_export`).
pub const CUSTOM_PREFIX: &str = "custom.";

/// The fixed columns a CSV import reads.
pub const FIXED_COLUMNS: [&str; 5] = ["email", "name", "first_name", "last_name", "subscribed"];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Column {
    Fixed(&'static str),
    Custom(String),
}

/// What each column of a file holds, read from its header row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvColumns {
    columns: Vec<Column>,
}

/// Why a header row cannot be used; the file is refused whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    /// No `email` column.
    #[error("the header has no `email` column")]
    MissingEmail,
    /// A column without a name.
    #[error("column {0} of the header has no name")]
    Unnamed(usize),
    /// Two columns name the same field.
    #[error("two columns of the header name the field `{0}`")]
    Duplicate(String),
}

impl CsvColumns {
    /// Reads a header row (a UTF-8 byte-order mark before the first name is dropped).
    pub fn from_header<'a>(
        headers: impl IntoIterator<Item = &'a str>,
    ) -> Result<CsvColumns, HeaderError> {
        let mut columns = Vec::new();
        for (index, raw) in headers.into_iter().enumerate() {
            let name = raw.trim_start_matches('\u{feff}').trim();
            let column = match FIXED_COLUMNS
                .iter()
                .find(|fixed| fixed.eq_ignore_ascii_case(name))
            {
                Some(fixed) => Column::Fixed(fixed),
                None => {
                    let key = match name.get(..CUSTOM_PREFIX.len()) {
                        Some(prefix) if prefix.eq_ignore_ascii_case(CUSTOM_PREFIX) => {
                            name[CUSTOM_PREFIX.len()..].trim()
                        }
                        _ => name,
                    };
                    if key.is_empty() {
                        return Err(HeaderError::Unnamed(index + 1));
                    }
                    Column::Custom(key.to_owned())
                }
            };
            if columns.contains(&column) {
                let name = match &column {
                    Column::Fixed(f) => (*f).to_owned(),
                    Column::Custom(k) => format!("{CUSTOM_PREFIX}{k}"),
                };
                return Err(HeaderError::Duplicate(name));
            }
            columns.push(column);
        }
        if !columns.contains(&Column::Fixed("email")) {
            return Err(HeaderError::MissingEmail);
        }
        Ok(CsvColumns { columns })
    }

    /// Reads one data row into a bulk item; a missing trailing cell is empty.
    pub fn item<'a>(
        &self,
        cells: impl IntoIterator<Item = &'a str>,
    ) -> Result<BulkItem, FieldError> {
        let mut body = Map::new();
        let mut custom = Map::new();
        let mut bad_subscribed = None;
        let mut count = 0;
        for (index, cell) in cells.into_iter().enumerate() {
            count = index + 1;
            let Some(column) = self.columns.get(index) else {
                continue;
            };
            if cell.is_empty() {
                continue;
            }
            let cell = unescape_formula(cell);
            match column {
                Column::Fixed("subscribed") => match parse_subscribed(cell) {
                    Ok(value) => {
                        body.insert("subscribed".into(), Value::Bool(value));
                    }
                    Err(e) => bad_subscribed = Some(e),
                },
                Column::Fixed(field) => {
                    body.insert((*field).into(), Value::String(cell.to_owned()));
                }
                Column::Custom(key) => {
                    custom.insert(key.clone(), Value::String(cell.to_owned()));
                }
            }
        }
        if count > self.columns.len() {
            return Err(FieldError::invalid(
                "row",
                format!(
                    "The row has {count} cells; the header has {}.",
                    self.columns.len()
                ),
            ));
        }
        if !custom.is_empty() {
            body.insert("custom_fields".into(), Value::Object(custom));
        }
        let item = parse_bulk_item(&Value::Object(body))?;
        // Reported after the email, as the API's parser orders its checks.
        if let Some(error) = bad_subscribed {
            return Err(error);
        }
        // The limits a new contact must meet, checked now so a file is refused before writing.
        if let Some(fields) = &item.patch.custom_fields {
            CustomFields::new()
                .merged(fields)
                .map_err(|e| FieldError::custom_fields(&e))?;
        }
        Ok(item)
    }
}

/// One of [`BOOLEAN_WORDS`] (`domain::csv_cells`).
pub fn parse_subscribed(cell: &str) -> Result<bool, FieldError> {
    parse_boolean(cell).ok_or_else(|| {
        FieldError::invalid(
            "subscribed",
            format!("`subscribed` must be {BOOLEAN_WORDS}, not {cell:?}."),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::patch_input::FieldErrorKind;

    fn columns(header: &[&str]) -> CsvColumns {
        CsvColumns::from_header(header.iter().copied()).expect("header")
    }

    #[test]
    fn headers_map_to_fields_and_unknown_ones_to_custom_fields() {
        let c = columns(&["\u{feff}Email", " NAME ", "custom.plan", "city"]);
        let item = c.item(["a@example.com", "A", "pro", "Oslo"]).expect("item");
        assert_eq!(item.patch.name.as_deref(), Some("A"));
        let fields = item.patch.custom_fields.expect("custom");
        let keys: Vec<&str> = fields.entries().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["plan", "city"]);
    }

    #[test]
    fn bad_headers_refuse_the_file() {
        let err = |h: &[&str]| CsvColumns::from_header(h.iter().copied()).expect_err("bad");
        assert_eq!(err(&["name"]), HeaderError::MissingEmail);
        assert_eq!(err(&["email", ""]), HeaderError::Unnamed(2));
        assert_eq!(
            err(&["email", "plan", "custom.plan"]),
            HeaderError::Duplicate("custom.plan".into())
        );
        assert_eq!(
            err(&["email", "EMAIL"]),
            HeaderError::Duplicate("email".into())
        );
    }

    #[test]
    fn empty_cells_are_not_given_and_subscribed_accepts_words() {
        let c = columns(&["email", "name", "subscribed", "plan"]);
        let item = c.item(["a@example.com", "", "", ""]).expect("item");
        assert_eq!(item.patch.name, None);
        assert_eq!(item.patch.subscribed, None);
        assert_eq!(item.patch.custom_fields, None);
        for (cell, value) in [("YES", true), ("0", false), ("False", false), ("1", true)] {
            let item = c.item(["a@example.com", "", cell, ""]).expect("item");
            assert_eq!(item.patch.subscribed, Some(value), "{cell}");
        }
        let err = c.item(["a@example.com", "", "maybe", ""]).expect_err("bad");
        assert_eq!(err.field, "subscribed");
    }

    #[test]
    fn rows_fail_as_bulk_items_do() {
        let c = columns(&["email", "name"]);
        assert_eq!(
            c.item(["", "A"]).expect_err("no email").kind,
            FieldErrorKind::Missing
        );
        assert_eq!(
            c.item(["nope", "A"]).expect_err("bad").kind,
            FieldErrorKind::InvalidEmail
        );
        assert_eq!(
            c.item(["a@example.com", "A", "x"])
                .expect_err("extra")
                .field,
            "row"
        );
        assert!(c.item(["a@example.com"]).is_ok(), "a short row is padded");
    }
}
