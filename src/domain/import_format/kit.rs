//! Kit's (ConvertKit's) subscribers export (Subscribers → select all → Export): the
//! fields of its subscriber object, `id`, `first_name`, `email_address`, `state`
//! (`status` in some exports), `created_at`, then one column per custom field and `tags`.
//! Source: developers.kit.com/api-reference/subscribers/list-subscribers (v4) and
//! help.convertkit.com/article/12-convertkit-subscribers (the states).

use super::{Consent, Meaning, Names, SuppressionHint};

/// `email_address` alone would also take generic files that spell the email so.
pub(super) fn matches(names: &Names) -> bool {
    names.has("email_address") && names.has_any(&["state", "status"])
}

/// What each column (lower-cased name) means; any other column is a custom field.
pub(super) const COLUMNS: &[(&str, Meaning)] = &[
    ("email_address", Meaning::Email),
    ("email", Meaning::Email),
    ("first_name", Meaning::FirstName),
    ("last_name", Meaning::LastName),
    ("state", Meaning::Status(status)),
    ("status", Meaning::Status(status)),
    ("created_at", Meaning::SignedUp),
    ("tags", Meaning::Tags),
    ("id", Meaning::Custom("kit_id")),
];

/// `inactive`/`unconfirmed` subscribers never confirmed; `cold` ones are still subscribed.
fn status(word: &str) -> Option<Consent> {
    match word {
        "active" | "confirmed" | "cold" => Consent::SUBSCRIBED,
        "inactive" | "unconfirmed" | "cancelled" | "canceled" => Consent::UNSUBSCRIBED,
        "bounced" => Consent::suppressed(SuppressionHint::Bounced),
        "complained" => Consent::suppressed(SuppressionHint::Complained),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{IN, OUT, Want, check};
    use super::super::{ColumnMapping, Format, SuppressionHint};

    #[test]
    fn states_map_to_consent_and_custom_columns_are_kept() {
        let (bounced, complained) = (
            Some(SuppressionHint::Bounced),
            Some(SuppressionHint::Complained),
        );
        #[rustfmt::skip]
        let wants: [Want; 7] = [
            (2, "alice@convertkit.dev", IN, ["Alice", "Alice", "-"], "2023-01-27T11:43:55.000Z", r#"{"kit_id":"209","state":"active","What content are you interested in":"Tutorials","Company":"Acme, Inc."}"#, &["VIP", "Newsletter"], None),
            (3, "benito@convertkit.dev", OUT, ["Benito Ruiz", "Benito Ruiz", "-"], "2023-02-03T11:43:55.000Z", r#"{"kit_id":"210","state":"cancelled"}"#, &["Newsletter"], None),
            (4, "chloe@convertkit.dev", OUT, ["Chloé", "Chloé", "-"], "2023-02-04T11:43:55.000Z", r#"{"kit_id":"211","state":"inactive"}"#, &[], None),
            (5, "bounce@convertkit.dev", OUT, ["-", "-", "-"], "2023-02-05T11:43:55.000Z", r#"{"kit_id":"212","state":"bounced"}"#, &[], bounced),
            (6, "DAN@ConvertKit.dev", OUT, ["Dan", "Dan", "-"], "2023-02-06T11:43:55.000Z", r#"{"kit_id":"213","state":"complained","What content are you interested in":"Everything\nreally"}"#, &[], complained),
            (8, "eve@convertkit.dev", IN, ["Eve", "Eve", "-"], "2023-02-07T11:43:55.000Z", r#"{"kit_id":"214","state":"cold"}"#, &[], None),
            // The bounced address again, active: its bounce stays (the import's to decide).
            (10, "Bounce@ConvertKit.dev", IN, ["Bounce", "Bounce", "-"], "2023-03-01T11:43:55.000Z", r#"{"kit_id":"216","state":"active"}"#, &[], None),
        ];
        check(
            "kit.csv",
            Format::Kit,
            &ColumnMapping::new(),
            &wants,
            &[(9, "email")],
        );
    }
}
