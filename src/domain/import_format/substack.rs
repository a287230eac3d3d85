//! Substack's subscriber list (Settings → Exports → Create new export; the ZIP holds
//! `email_list.<publication>.csv`): `email`, `active_subscription`, `expiry`,
//! `email_disabled`, `created_at`, and in some exports `name`, `type`, `plan`.
//! `email_disabled=true` is an unsubscribe. Source: TryGhost/migrate
//! packages/mg-substack-members-csv (lib/process.js, test/fixtures/*.csv).

use super::{Meaning, Names};

pub(super) fn matches(names: &Names) -> bool {
    names.has("email_disabled")
}

/// What each column (lower-cased name) means; any other column is a custom field.
pub(super) const COLUMNS: &[(&str, Meaning)] = &[
    ("email", Meaning::Email),
    ("name", Meaning::Name),
    ("email_disabled", Meaning::Unsubscribed),
    ("created_at", Meaning::SignedUp),
];

#[cfg(test)]
mod tests {
    use super::super::fixtures::{IN, OUT, Want, check};
    use super::super::{ColumnMapping, Format};

    #[test]
    fn email_disabled_true_is_unsubscribed() {
        #[rustfmt::skip]
        let wants: [Want; 9] = [
            (2, "herroooo@substack.com", IN, ["-", "-", "-"], "2018-08-27T15:06:27.713Z", r#"{"active_subscription":"true","expiry":"2021-07-06T16:20:44.000Z"}"#, &[], None),
            (3, "maguirec086@comm.ca", OUT, ["-", "-", "-"], "2018-08-29T20:50:03.435Z", r#"{"active_subscription":"true","expiry":"2025-06-23T23:41:42.980Z"}"#, &[], None),
            (4, "Bob.Something@advisers.co.uk", IN, ["-", "-", "-"], "2020-01-01T19:58:29.925Z", r#"{"active_subscription":"true"}"#, &[], None),
            (5, "ömil@gmail.com", IN, ["-", "-", "-"], "2020-07-07T21:23:16.083Z", "{}", &[], None),
            (6, "kirstygouda@gmail.com", IN, ["-", "-", "-"], "2018-12-19T08:03:04.977Z", "{}", &[], None),
            (7, "KIRSTYGOUDA@gmail.com", OUT, ["-", "-", "-"], "2018-12-19T08:03:04.977Z", "{}", &[], None),
            (8, "nottimferris@gmail.com", OUT, ["-", "-", "-"], "2018-08-27T15:36:25.539Z", r#"{"active_subscription":"true"}"#, &[], None),
            (9, "deleted@deletion-request.substack.com", OUT, ["-", "-", "-"], "2019-08-18T13:36:31.230Z", "{}", &[], None),
            (10, "maïbes@gmail.com", IN, ["-", "-", "-"], "2020-08-06T10:21:25.605Z", "{}", &[], None),
        ];
        check(
            "substack.csv",
            Format::Substack,
            &ColumnMapping::new(),
            &wants,
            &[(11, "email")],
        );
    }
}
