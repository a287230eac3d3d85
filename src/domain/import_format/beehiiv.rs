//! beehiiv's subscribers export (Audience → Subscribers → Export): `email`,
//! `First Name`, `Last Name`, `status`, `tier`, `created_at` (`2023-03-24 10:23:10 UTC`),
//! `stripe_customer_id`, one Yes/No column per tier, `unsubscribed_at`, then one column per
//! custom field (headers such as `Subscription Date (Substack)`). Source: TryGhost/migrate
//! packages/mg-beehiiv-members (src/lib/process.ts, src/test/fixtures/members.csv).

use super::{Consent, Meaning, Names, SuppressionHint};

pub(super) fn matches(names: &Names) -> bool {
    names.has("email") && names.has("status") && names.has_any(&["tier", "unsubscribed_at"])
}

/// What each column (lower-cased name) means; any other column is a custom field.
pub(super) const COLUMNS: &[(&str, Meaning)] = &[
    ("email", Meaning::Email),
    ("first name", Meaning::FirstName),
    ("last name", Meaning::LastName),
    ("status", Meaning::Status(status)),
    ("created_at", Meaning::SignedUp),
    ("unsubscribed_at", Meaning::UnsubscribedWhenSet),
];

/// Only `active` subscribers get mail; `invalid` addresses failed beehiiv's check.
fn status(word: &str) -> Option<Consent> {
    match word {
        "active" => Consent::SUBSCRIBED,
        "inactive" | "pending" | "validating" | "needs_attention" => Consent::UNSUBSCRIBED,
        "invalid" => Consent::suppressed(SuppressionHint::Bounced),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{IN, OUT, Want, check};
    use super::super::{ColumnMapping, Format, SuppressionHint};

    #[test]
    fn only_active_rows_without_unsubscribed_at_are_subscribed() {
        let invalid = Some(SuppressionHint::Bounced);
        #[rustfmt::skip]
        let wants: [Want; 8] = [
            (2, "lorem@example.com", IN, ["Lorem Name", "Lorem Name", "-"], "2023-03-24T10:23:10.000Z", r#"{"status":"active","tier":"free","Free Tier":"Yes","Premium Tier":"No"}"#, &[], None),
            (3, "ipsum@example.com", IN, ["Ipsum Name", "Ipsum", "Name"], "2023-03-24T10:36:47.000Z", r#"{"status":"active","tier":"premium","Free Tier":"No","Premium Tier":"Yes"}"#, &[], None),
            (4, "dolor@example.com", OUT, ["Dolor Name", "-", "Dolor Name"], "2023-03-24T10:36:48.000Z", r#"{"status":"inactive","tier":"free","Free Tier":"Yes","Premium Tier":"No"}"#, &[], None),
            (5, "amett@example.com", OUT, ["-", "-", "-"], "2023-04-11T14:02:46.000Z", r#"{"status":"pending","tier":"free","Free Tier":"Yes","Premium Tier":"No"}"#, &[], None),
            (6, "unsublit@example.com", OUT, ["-", "-", "-"], "2023-04-11T14:02:46.000Z", r#"{"status":"active","tier":"premium","stripe_customer_id":"cus_1234","Free Tier":"No","Premium Tier":"Yes","unsubscribed_at":"2024-03-13 11:33:53 UTC"}"#, &[], None),
            (7, "fromsubstack@example.com", IN, ["-", "-", "-"], "2023-04-11T14:02:46.000Z", r#"{"status":"active","tier":"free","Free Tier":"Yes","Premium Tier":"No","Subscription Date Substack":"2022-03-12 11:43:23 UTC"}"#, &[], None),
            (8, "invalid@example.com", OUT, ["-", "-", "-"], "2023-04-12T09:00:00.000Z", r#"{"status":"invalid","tier":"free"}"#, &[], invalid),
            (9, "LOREM@example.com", IN, ["Lorem", "Lorem", "-"], "2023-05-01T00:00:00.000Z", r#"{"status":"active","tier":"free"}"#, &[], None),
        ];
        let columns = check(
            "beehiiv.csv",
            Format::Beehiiv,
            &ColumnMapping::new(),
            &wants,
            &[],
        );
        let renamed: Vec<&str> = columns
            .renamings()
            .iter()
            .map(|r| r.header.as_str())
            .collect();
        assert_eq!(renamed, ["Subscription Date (Substack)"]);
    }
}
