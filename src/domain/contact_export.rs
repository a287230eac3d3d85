//! What an export of a workspace's contacts holds (`purrlist export`,
//! `GET /v1/contacts/export`): its two formats, and the CSV layout.
//!
//! Decisions (also in docs/import.md, "Moving out"): CSV columns are [`CSV_COLUMNS`], then
//! `custom.<key>` for the sorted union of the workspace's custom-field keys, so the
//! `purrlist` import format (`domain::import_format::purrlist`) reads back every id,
//! unsubscribe token, sign-up time and suppression. `suppression` is the reason the
//! contact's address is suppressed (`bounced`, `complained`, `manual`; `domain::suppression`),
//! an empty cell when it is not: a suppression belongs to the address, so the export looks
//! it up for each page of contacts (the caller's one store read, [`SuppressionsByEmail`]).
//! Every text cell is escaped against spreadsheet formulas (`domain::csv_cells`); custom
//! numbers and booleans are written as their JSON text (NDJSON keeps their types). The
//! header needs every key before the first row, so a CSV export reads the workspace twice;
//! a key that appears between the two reads (a contact written meanwhile) stops the export
//! rather than drop a value ([`NewCustomKey`]).

use super::contact::Contact;
use super::csv_cells::escape_formula;
use super::csv_columns::CUSTOM_PREFIX;
use super::suppression::{SuppressionReason, SuppressionsByEmail};
use serde_json::Value;
use std::collections::BTreeSet;

/// The format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExportFormat {
    /// A header row, then one contact per row.
    #[default]
    Csv,
    /// One contact per line in the API's JSON shape.
    Ndjson,
}

impl ExportFormat {
    /// The words accepted, for messages.
    pub const NAMES: &'static str = "csv or ndjson";

    /// Exactly `csv` or `ndjson` (as the OpenAPI document's pattern says); `None` for
    /// anything else.
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text {
            "csv" => Some(ExportFormat::Csv),
            "ndjson" => Some(ExportFormat::Ndjson),
            _ => None,
        }
    }

    /// The media type of the bytes.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Ndjson => "application/x-ndjson",
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Ndjson => "ndjson",
        }
    }
}

/// The fixed CSV columns, in the order they are written; `custom.<key>` columns follow.
pub const CSV_COLUMNS: [&str; 10] = [
    "id",
    "email",
    "name",
    "first_name",
    "last_name",
    "subscribed",
    "unsub_token",
    "createdAt",
    "updatedAt",
    "suppression",
];

/// The suppression of `contact`'s address among those looked up for its page, if any.
pub fn suppression_of(
    contact: &Contact,
    suppressions: &SuppressionsByEmail,
) -> Option<SuppressionReason> {
    suppressions
        .get(contact.email.normalized())
        .map(|s| s.reason)
}

/// A contact holds a custom-field key the header was written without.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the workspace changed during the export (a contact gained the custom field `{0}`, which the header lacks); run the export again"
)]
pub struct NewCustomKey(pub String);

/// The custom-field keys of a workspace, gathered page by page for a CSV header.
#[derive(Debug, Clone, Default)]
pub struct CustomKeys(BTreeSet<String>);

impl CustomKeys {
    /// Adds the keys of `contacts`.
    pub fn add(&mut self, contacts: &[Contact]) {
        for contact in contacts {
            for key in contact.custom_fields.as_map().keys() {
                if !self.0.contains(key) {
                    self.0.insert(key.clone());
                }
            }
        }
    }

    /// The layout with these keys, sorted (the same contacts always give the same header).
    pub fn layout(self) -> CsvLayout {
        CsvLayout { keys: self.0 }
    }
}

/// The columns of one CSV export: [`CSV_COLUMNS`] and a custom column per key.
#[derive(Debug, Clone, Default)]
pub struct CsvLayout {
    keys: BTreeSet<String>,
}

impl CsvLayout {
    /// The header row.
    pub fn header(&self) -> Vec<String> {
        CSV_COLUMNS
            .iter()
            .map(|c| (*c).to_owned())
            .chain(self.keys.iter().map(|k| format!("{CUSTOM_PREFIX}{k}")))
            .collect()
    }

    /// One contact (its address suppressed for `suppression`, if any) as a row under
    /// [`CsvLayout::header`]: an absent key or suppression is an empty cell, every text
    /// escaped where a spreadsheet would read a formula.
    pub fn row(
        &self,
        contact: &Contact,
        suppression: Option<SuppressionReason>,
    ) -> Result<Vec<String>, NewCustomKey> {
        let fields = contact.custom_fields.as_map();
        if let Some(key) = fields.keys().find(|k| !self.keys.contains(*k)) {
            return Err(NewCustomKey(key.clone()));
        }
        let text = |s: &str| escape_formula(s).into_owned();
        let mut row = vec![
            text(contact.id.as_str()),
            text(contact.email.as_str()),
            text(&contact.name),
            text(&contact.first_name),
            text(&contact.last_name),
            contact.subscribed.to_string(),
            text(contact.unsub_token.as_str()),
            contact.created_at.to_rfc3339(),
            contact.updated_at.to_rfc3339(),
            text(suppression.map_or("", SuppressionReason::as_str)),
        ];
        row.extend(self.keys.iter().map(|key| match fields.get(key) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => text(s),
            Some(other) => text(&other.to_string()),
        }));
        Ok(row)
    }

    /// The header row as CSV bytes (`\n` line ends).
    pub fn header_bytes(&self) -> Vec<u8> {
        let mut writer = csv_writer();
        // Writing to memory cannot fail.
        let _ = writer.write_record(self.header());
        writer.into_inner().unwrap_or_default()
    }

    /// Rows for `contacts` as CSV bytes, under the suppressions of their addresses.
    pub fn rows_bytes(
        &self,
        contacts: &[Contact],
        suppressions: &SuppressionsByEmail,
    ) -> Result<Vec<u8>, NewCustomKey> {
        let mut writer = csv_writer();
        for contact in contacts {
            let suppression = suppression_of(contact, suppressions);
            let _ = writer.write_record(self.row(contact, suppression)?);
        }
        Ok(writer.into_inner().unwrap_or_default())
    }
}

fn csv_writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::custom_fields::{CustomFields, CustomFieldsPatch};
    use crate::domain::email::EmailAddress;
    use crate::domain::ids::{ContactId, UnsubToken, WorkspaceId};
    use crate::domain::timestamp::Timestamp;
    use serde_json::json;

    fn contact(email: &str, fields: Value, token: &str) -> Contact {
        let patch = CustomFieldsPatch::from_json(&fields).expect("fields");
        Contact {
            id: ContactId::parse("con_D6zCfeVDaAAT-b9dl9SIE").expect("id"),
            workspace_id: WorkspaceId::parse("wks_Tj4fTx-GWT0kCkKc375tG").expect("wks"),
            name: "=1+1".into(),
            first_name: "Noto".into(),
            last_name: String::new(),
            email: EmailAddress::parse(email).expect("email"),
            subscribed: false,
            unsub_token: UnsubToken::parse(token).expect("token"),
            custom_fields: CustomFields::new().merged(&patch).expect("merged"),
            created_at: Timestamp::from_millis(1_682_433_243_000),
            updated_at: Timestamp::from_millis(1_682_436_628_512),
            version: 2,
        }
    }

    #[test]
    fn formats_are_named_exactly() {
        assert_eq!(ExportFormat::parse("csv"), Some(ExportFormat::Csv));
        assert_eq!(ExportFormat::parse("ndjson"), Some(ExportFormat::Ndjson));
        for other in ["json", "", "CSV", " csv", "ndjson "] {
            assert_eq!(ExportFormat::parse(other), None, "{other:?}");
        }
    }

    fn suppressed(email: &str, reason: SuppressionReason) -> SuppressionsByEmail {
        let suppression = crate::domain::suppression::Suppression {
            id: "0".repeat(64),
            workspace_id: WorkspaceId::parse("wks_Tj4fTx-GWT0kCkKc375tG").expect("wks"),
            email: Some(email.to_owned()),
            reason,
            at: Timestamp::from_millis(1),
            actor: crate::domain::events::Actor::Cli,
        };
        SuppressionsByEmail::from([(email.to_owned(), suppression)])
    }

    #[test]
    fn rows_carry_what_a_move_needs_escaped() {
        let a = contact(
            "a@example.com",
            json!({"plan": "pro", "n": 5}),
            "-VfX3KDpCeLqQTWADxulW",
        );
        let mut keys = CustomKeys::default();
        keys.add(std::slice::from_ref(&a));
        let layout = keys.layout();
        let header = String::from_utf8(layout.header_bytes()).expect("utf-8");
        assert_eq!(
            header,
            "id,email,name,first_name,last_name,subscribed,unsub_token,createdAt,updatedAt,suppression,custom.n,custom.plan\n"
        );
        let none = SuppressionsByEmail::new();
        let rows = String::from_utf8(
            layout
                .rows_bytes(std::slice::from_ref(&a), &none)
                .expect("rows"),
        )
        .expect("utf-8");
        assert_eq!(
            rows,
            "con_D6zCfeVDaAAT-b9dl9SIE,a@example.com,'=1+1,Noto,,false,'-VfX3KDpCeLqQTWADxulW,\
             2023-04-25T14:34:03.000Z,2023-04-25T15:30:28.512Z,,5,pro\n"
        );
    }

    #[test]
    fn a_suppressed_address_has_its_reason_in_the_row() {
        let a = contact("A@Example.com", json!({}), "DwVf3KDpCeLqQTWADxulW");
        let layout = CustomKeys::default().layout();
        for (reason, word) in [
            (SuppressionReason::Bounced, "bounced"),
            (SuppressionReason::Complained, "complained"),
            (SuppressionReason::Manual, "manual"),
        ] {
            // Looked up by the normalised address.
            let suppressions = suppressed("a@example.com", reason);
            assert_eq!(suppression_of(&a, &suppressions), Some(reason));
            let rows = layout
                .rows_bytes(std::slice::from_ref(&a), &suppressions)
                .expect("rows");
            let rows = String::from_utf8(rows).expect("utf-8");
            assert!(
                rows.ends_with(&format!(",2023-04-25T15:30:28.512Z,{word}\n")),
                "{rows}"
            );
        }
        let elsewhere = suppressed("b@example.com", SuppressionReason::Manual);
        assert_eq!(suppression_of(&a, &elsewhere), None);
    }

    #[test]
    fn a_key_missing_from_the_header_stops_the_export() {
        let layout = CustomKeys::default().layout();
        let b = contact(
            "b@example.com",
            json!({"late": "x"}),
            "DwVf3KDpCeLqQTWADxulW",
        );
        assert_eq!(layout.row(&b, None), Err(NewCustomKey("late".into())));
    }
}
