//! listmonk's subscribers export (Subscribers → Manage → Export): `uuid`, `email`, `name`,
//! `attributes` (a JSON object), `status` (`enabled`, `disabled`, `blocklisted`),
//! `created_at`, `updated_at` (times in Go's `2006-01-02 15:04:05.999999 -0700 MST` form).
//! Source: knadh/listmonk cmd/subscribers.go (handleExportSubscribers).

use super::{Consent, Meaning, Names, SuppressionHint};

pub(super) fn matches(names: &Names) -> bool {
    names.has("uuid") && names.has("attributes")
}

/// What each column (lower-cased name) means; any other column is a custom field.
pub(super) const COLUMNS: &[(&str, Meaning)] = &[
    ("email", Meaning::Email),
    ("name", Meaning::Name),
    ("attributes", Meaning::Attributes),
    ("status", Meaning::Status(status)),
    ("created_at", Meaning::SignedUp),
    ("updated_at", Meaning::Ignored),
    ("uuid", Meaning::Custom("listmonk_uuid")),
];

/// `disabled` subscribers get no campaigns either; `blocklisted` ones were blocked by the
/// sender (or by bounce rules), which §8 calls a manual suppression.
fn status(word: &str) -> Option<Consent> {
    match word {
        "enabled" => Consent::SUBSCRIBED,
        "disabled" => Consent::UNSUBSCRIBED,
        "blocklisted" => Consent::suppressed(SuppressionHint::Manual),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{IN, OUT, Want, check};
    use super::super::{ColumnMapping, Format, SuppressionHint};

    #[test]
    fn attributes_become_custom_fields_and_blocklisted_is_suppressed() {
        let manual = Some(SuppressionHint::Manual);
        #[rustfmt::skip]
        let wants: [Want; 5] = [
            (2, "john@example.com", IN, ["John Doe", "John", "Doe"], "2020-07-07T14:30:00.123Z", r#"{"listmonk_uuid":"e44b4135-1e1d-40c5-8a30-0f9a886c2884","city":"Bengaluru","projects":3,"stack":"{\"languages\":[\"go\",\"python\"]}","status":"enabled"}"#, &[], None),
            (3, "anon@example.com", OUT, ["Anon", "Anon", "-"], "2021-03-04T05:06:07.000Z", r#"{"listmonk_uuid":"1a2b3c4d-0000-4000-8000-000000000002","status":"blocklisted"}"#, &[], manual),
            (4, "Disabled@Example.com", OUT, ["Dee", "Dee", "-"], "2021-03-04T05:06:07.000Z", r#"{"listmonk_uuid":"1a2b3c4d-0000-4000-8000-000000000003","plan":"free","Zip Postal Code":"10115","status":"disabled"}"#, &[], None),
            (5, "müller@example.de", IN, ["Jürgen Müller", "Jürgen", "Müller"], "2022-11-30T23:59:59.500Z", r#"{"listmonk_uuid":"1a2b3c4d-0000-4000-8000-000000000004","note":"likes \"quotes\", and commas","status":"enabled"}"#, &[], None),
            (7, "single@example.com", IN, ["Prince", "Prince", "-"], "2023-01-01T00:00:00.000Z", r#"{"listmonk_uuid":"1a2b3c4d-0000-4000-8000-000000000006","status":"enabled"}"#, &[], None),
        ];
        check(
            "listmonk.csv",
            Format::Listmonk,
            &ColumnMapping::new(),
            &wants,
            &[(6, "attributes")],
        );
    }
}
