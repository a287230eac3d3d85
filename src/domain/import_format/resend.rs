//! Resend's contacts export (Audience → Contacts → Export): the fields of its contact
//! object, `id`, `email`, `first_name`, `last_name`, `created_at`, `unsubscribed`
//! (`true` is an unsubscribe). Source: resend.com/docs/dashboard/audiences/contacts and
//! the contact object of its API reference.

use super::{Meaning, Names};

pub(super) fn matches(names: &Names) -> bool {
    names.has("email") && names.has("unsubscribed") && !names.has("subscribed")
}

/// What each column (lower-cased name) means; any other column is a custom field.
pub(super) const COLUMNS: &[(&str, Meaning)] = &[
    ("id", Meaning::Custom("resend_id")),
    ("email", Meaning::Email),
    ("first_name", Meaning::FirstName),
    ("last_name", Meaning::LastName),
    ("created_at", Meaning::SignedUp),
    ("unsubscribed", Meaning::Unsubscribed),
];

#[cfg(test)]
mod tests {
    use super::super::fixtures::{IN, OUT, Want, check};
    use super::super::{ColumnMapping, Format};

    #[test]
    fn unsubscribed_true_is_unsubscribed() {
        #[rustfmt::skip]
        let wants: [Want; 5] = [
            (2, "steve.wozniak@gmail.com", IN, ["Steve Wozniak", "Steve", "Wozniak"], "2023-10-06T22:59:55.977Z", r#"{"resend_id":"479e3145-dd38-476b-932c-529ceb705947"}"#, &[], None),
            (3, "out@example.com", OUT, ["Out", "Out", "-"], "2023-10-06T23:47:56.678Z", r#"{"resend_id":"479e3145-dd38-476b-932c-529ceb705948"}"#, &[], None),
            (4, "Ünïcode@example.com", IN, ["Ünï Cöde", "Ünï", "Cöde"], "2023-10-07T00:00:00.000Z", r#"{"resend_id":"479e3145-dd38-476b-932c-529ceb705949"}"#, &[], None),
            (5, "noname@example.com", IN, ["-", "-", "-"], "2023-10-08T00:00:00.000Z", r#"{"resend_id":"479e3145-dd38-476b-932c-529ceb705950"}"#, &[], None),
            (6, "STEVE.WOZNIAK@gmail.com", OUT, ["Steve Wozniak", "Steve", "Wozniak"], "2023-10-06T22:59:55.977Z", r#"{"resend_id":"479e3145-dd38-476b-932c-529ceb705951"}"#, &[], None),
        ];
        check(
            "resend.csv",
            Format::Resend,
            &ColumnMapping::new(),
            &wants,
            &[(7, "email")],
        );
    }
}
