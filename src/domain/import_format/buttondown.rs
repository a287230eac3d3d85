//! Buttondown's subscribers export (Subscribers → Export, or Settings → Exports): the
//! fields of its subscriber object, `id`, `email` (`email_address` in newer API
//! versions), `creation_date`, `subscriber_type`, `tags`, `metadata` (a JSON object),
//! `notes`, `source`, `referrer_url`, `secondary_id`, `utm_*`. Source: buttondown/docs
//! pages/api-reference/subscribers/metadata.json and buttondown/openapi enums.json
//! (SubscriberType).

use super::{Consent, Meaning, Names, SuppressionHint};

pub(super) fn matches(names: &Names) -> bool {
    names.has("subscriber_type") || names.has("creation_date")
}

/// What each column (lower-cased name) means; any other column is a custom field.
pub(super) const COLUMNS: &[(&str, Meaning)] = &[
    ("email", Meaning::Email),
    ("email_address", Meaning::Email),
    ("subscriber_type", Meaning::Status(status)),
    ("type", Meaning::Status(status)),
    ("creation_date", Meaning::SignedUp),
    ("tags", Meaning::Tags),
    ("metadata", Meaning::Attributes),
    ("id", Meaning::Custom("buttondown_id")),
];

/// Paid, trial and lapsing subscribers still get the newsletter; `unactivated` ones never
/// confirmed, so they are not subscribed.
fn status(word: &str) -> Option<Consent> {
    match word {
        "regular" | "premium" | "trialed" | "unpaid" | "gifted" | "churning" | "paused"
        | "past_due" => Consent::SUBSCRIBED,
        "unactivated" | "unsubscribed" | "removed" | "spammy" => Consent::UNSUBSCRIBED,
        "complained" => Consent::suppressed(SuppressionHint::Complained),
        "undeliverable" | "bounced" => Consent::suppressed(SuppressionHint::Bounced),
        "blocked" => Consent::suppressed(SuppressionHint::Manual),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{IN, OUT, Want, check};
    use super::super::{ColumnMapping, Format, SuppressionHint};

    #[test]
    fn subscriber_types_map_to_consent_and_metadata_to_custom_fields() {
        let (complained, manual) = (
            Some(SuppressionHint::Complained),
            Some(SuppressionHint::Manual),
        );
        #[rustfmt::skip]
        let wants: [Want; 7] = [
            (2, "user@example.com", IN, ["-", "-", "-"], "2019-08-24T14:15:22.000Z", r#"{"buttondown_id":"497f6eca-6276-4993-bfeb-53cbbbba6f08","subscriber_type":"regular","first_name":"Uma","plan":"pro","source":"api","referrer_url":"http://jmduke.com"}"#, &["weekly", "fans"], None),
            (3, "paid@example.com", IN, ["-", "-", "-"], "2020-01-02T03:04:05.678Z", r#"{"buttondown_id":"497f6eca-6276-4993-bfeb-53cbbbba6f09","subscriber_type":"premium","notes":"Pays yearly, renews in March"}"#, &[], None),
            (4, "gone@example.com", OUT, ["-", "-", "-"], "2020-01-02T03:04:05.000Z", r#"{"buttondown_id":"497f6eca-6276-4993-bfeb-53cbbbba6f10","subscriber_type":"unsubscribed"}"#, &["weekly"], None),
            (5, "new@example.com", OUT, ["-", "-", "-"], "2024-05-01T08:00:00.000Z", r#"{"buttondown_id":"497f6eca-6276-4993-bfeb-53cbbbba6f11","subscriber_type":"unactivated"}"#, &[], None),
            (6, "spam@example.com", OUT, ["-", "-", "-"], "2024-05-01T10:00:00.000Z", r#"{"buttondown_id":"497f6eca-6276-4993-bfeb-53cbbbba6f12","subscriber_type":"complained"}"#, &[], complained),
            (8, "Trial@Example.com", IN, ["-", "-", "-"], "2024-05-02T10:00:00.000Z", r#"{"buttondown_id":"497f6eca-6276-4993-bfeb-53cbbbba6f14","subscriber_type":"trialed","utm_source":"newsletter, april"}"#, &[], None),
            (10, "blocked@example.com", OUT, ["-", "-", "-"], "2024-05-03T10:00:00.000Z", r#"{"buttondown_id":"497f6eca-6276-4993-bfeb-53cbbbba6f16","subscriber_type":"blocked"}"#, &[], manual),
        ];
        let bads = [(7, "email"), (9, "subscriber_type")];
        check(
            "buttondown.csv",
            Format::Buttondown,
            &ColumnMapping::new(),
            &wants,
            &bads,
        );
    }
}
