//! Reading the files in tests/fixtures/import/ for the format tests: each row through its
//! format, compared with what the test expects of every row.

use super::{ColumnMapping, FormatColumns, ImportedContact, SuppressionHint, detect};
use crate::domain::patch_input::FieldError;
use serde_json::{Map, Value};

/// What one row of a fixture must become: the file's own line it starts on (the header
/// is line 1), email, subscribed, [name, first_name, last_name] (`"-"` is "not given"),
/// the sign-up time as the API shows it (`"-"` for none), the custom fields as compact
/// JSON, the tags, the suppression hint.
pub(super) type Want = (
    u64,
    &'static str,
    Option<bool>,
    [&'static str; 3],
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<SuppressionHint>,
);

/// Subscribed, and unsubscribed, in a [`Want`].
pub(super) const IN: Option<bool> = Some(true);
/// See [`IN`].
pub(super) const OUT: Option<bool> = Some(false);

/// A row that must fail, and the field it must fail on.
pub(super) type Bad = (u64, &'static str);

/// The fixture's text.
pub(super) fn text(file: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/import/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Each data row's own line and what it became.
pub(super) type Rows = Vec<(u64, Result<ImportedContact, FieldError>)>;

/// Reads `file` with `mapping`, checks it is detected as `format`, and returns each
/// row's line and result.
pub(super) fn read(file: &str, mapping: &ColumnMapping) -> (FormatColumns, Rows) {
    let text = text(file);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    let format = detect(header.iter());
    let columns = FormatColumns::new(format, header.iter(), mapping).expect("columns");
    let rows = reader
        .records()
        .map(|record| {
            let record = record.expect("record");
            // csv's own line count drifts after blank lines; its byte offset is where it
            // started reading, before the line ends (and blank lines) it skipped.
            let from = record.position().map_or(0, |p| p.byte() as usize);
            let bytes = text.as_bytes();
            let start = from
                + bytes[from..]
                    .iter()
                    .take_while(|b| matches!(b, b'\r' | b'\n'))
                    .count();
            let line = 1 + bytes[..start].iter().filter(|b| **b == b'\n').count() as u64;
            (line, columns.contact(record.iter()))
        })
        .collect();
    (columns, rows)
}

/// Checks every row of `file` against `wants` (good rows, in order) and `bads`.
pub(super) fn check(
    file: &str,
    format: super::Format,
    mapping: &ColumnMapping,
    wants: &[Want],
    bads: &[Bad],
) -> FormatColumns {
    let (columns, rows) = read(file, mapping);
    assert_eq!(columns.format(), format, "{file}: detected format");
    let (good, bad): (Vec<_>, Vec<_>) = rows.into_iter().partition(|(_, r)| r.is_ok());
    let bad: Vec<(u64, String)> = bad
        .into_iter()
        .map(|(line, r)| (line, r.err().map(|e| e.field).unwrap_or_default()))
        .collect();
    let want_bad: Vec<(u64, String)> = bads.iter().map(|(l, f)| (*l, (*f).to_owned())).collect();
    assert_eq!(bad, want_bad, "{file}: the rows that fail");
    assert_eq!(good.len(), wants.len(), "{file}: the rows that pass");
    for ((line, got), want) in good.into_iter().zip(wants) {
        let got = got.expect("good row");
        let (want_line, email, subscribed, want_names, want_signed_up, want_custom, tags, hint) =
            *want;
        let at = format!("{file} line {line}");
        assert_eq!(line, want_line, "{at}: line");
        assert_eq!(got.email.as_str(), email, "{at}: email");
        assert_eq!(got.subscribed, subscribed, "{at}: subscribed");
        let names = [&got.name, &got.first_name, &got.last_name].map(|n| n.as_deref());
        let want_names = want_names.map(|n| (n != "-").then_some(n));
        assert_eq!(names, want_names, "{at}: names");
        let signed_up = got.signed_up_at.map(|t| t.to_rfc3339());
        let want_signed_up = (want_signed_up != "-").then(|| want_signed_up.to_owned());
        assert_eq!(signed_up, want_signed_up, "{at}: sign-up time");
        let custom: Map<String, Value> = got
            .custom_fields
            .entries()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().unwrap_or(Value::Null)))
            .collect();
        assert_eq!(
            Value::Object(custom).to_string(),
            want_custom,
            "{at}: custom fields"
        );
        assert_eq!(got.tags, tags, "{at}: tags");
        assert_eq!(got.suppression, hint, "{at}: suppression");
        assert!(got.patch().is_ok(), "{at}: the contact write");
    }
    columns
}

/// Checks that `error` refuses a `suppression` cell or field with a message naming it and
/// saying `says`.
#[track_caller]
pub(super) fn check_bad_suppression(error: &FieldError, says: &str) {
    assert_eq!(error.field, "suppression");
    let message = &error.message;
    assert!(message.starts_with("`suppression` "), "{message}");
    assert!(message.contains(says), "{says:?} not in {message}");
}
