//! Ghost's members export (Members → ⋯ → Export all members): `id`, `email`, `name`,
//! `note`, `subscribed_to_emails`, `complimentary_plan`, `stripe_customer_id`,
//! `created_at`, `deleted_at`, `labels`, `tiers` (newer versions add `gift_id`).
//! `subscribed_to_emails=false` is an unsubscribe; `labels` is a comma-separated list.
//! Source: TryGhost/Ghost ghost/core/core/server/services/members/csv/unparse.js.

use super::{Meaning, Names};

pub(super) fn matches(names: &Names) -> bool {
    names.has("subscribed_to_emails")
}

/// What each column (lower-cased name) means; any other column is a custom field.
pub(super) const COLUMNS: &[(&str, Meaning)] = &[
    ("email", Meaning::Email),
    ("name", Meaning::Name),
    ("subscribed_to_emails", Meaning::Subscribed),
    ("created_at", Meaning::SignedUp),
    ("labels", Meaning::Tags),
    // Ghost's own member id, kept under a name that says whose it is.
    ("id", Meaning::Custom("ghost_id")),
];

#[cfg(test)]
mod tests {
    use super::super::fixtures::{IN, OUT, Want, check};
    use super::super::{ColumnMapping, Format};

    #[test]
    fn subscribed_to_emails_false_is_unsubscribed_and_names_are_split() {
        #[rustfmt::skip]
        let wants: [Want; 6] = [
            (2, "supporter@example.com", IN, ["Grace Hopper", "Grace", "Hopper"], "2024-01-15T10:00:00.000Z", r#"{"ghost_id":"6489c1b2e4f0a1000179a001","note":"VIP, early backer","complimentary_plan":"true","stripe_customer_id":"cus_ABC123","tiers":"Gold"}"#, &["vip", "early"], None),
            (3, "reader@example.com", IN, ["Katherine Johnson", "Katherine", "Johnson"], "2024-02-01T12:30:00.000Z", r#"{"ghost_id":"6489c1b2e4f0a1000179a002","complimentary_plan":"false"}"#, &[], None),
            (5, "quiet@example.com", OUT, ["Dorothy Vaughan", "Dorothy", "Vaughan"], "2024-02-10T08:00:00.000Z", r#"{"ghost_id":"6489c1b2e4f0a1000179a003","note":"unsubscribed at their request\nsee ticket 42","complimentary_plan":"false"}"#, &["import"], None),
            (7, "Mary@Example.com", OUT, ["Mary", "Mary", "-"], "2024-03-01T09:15:00.000Z", r#"{"ghost_id":"6489c1b2e4f0a1000179a004"}"#, &[], None),
            (8, "françoise@example.fr", IN, ["Françoise  Barré-Sinoussi", "Françoise", "Barré-Sinoussi"], "2024-03-02T09:15:00.000Z", r#"{"ghost_id":"6489c1b2e4f0a1000179a005"}"#, &["science", "fr"], None),
            (10, "reader@example.com", OUT, ["K. Johnson", "K.", "Johnson"], "2024-02-01T12:30:00.000Z", r#"{"ghost_id":"6489c1b2e4f0a1000179a006"}"#, &[], None),
        ];
        check(
            "ghost.csv",
            Format::Ghost,
            &ColumnMapping::new(),
            &wants,
            &[(11, "email")],
        );
    }
}
