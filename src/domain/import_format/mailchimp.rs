//! Mailchimp's audience export (Audience → All contacts → Export Audience; a ZIP with
//! `subscribed_*.csv`, `unsubscribed_*.csv` and `cleaned_*.csv`). The file is the status:
//! the unsubscribed export has `UNSUB_TIME`, the cleaned (bounced) one `CLEAN_TIME`.
//! Source: TryGhost/migrate packages/mg-mailchimp-members (src/lib/process.ts and its
//! test fixtures subscribed.csv, unsubscribed.csv, cleaned.csv).

use super::{Meaning, Names};

pub(super) fn matches(names: &Names) -> bool {
    names.has("email address") && names.has_any(&["optin_time", "leid", "euid", "member_rating"])
}

/// What each column (lower-cased name) means; any other column is a custom field.
pub(super) const COLUMNS: &[(&str, Meaning)] = &[
    ("email address", Meaning::Email),
    ("first name", Meaning::FirstName),
    ("last name", Meaning::LastName),
    ("optin_time", Meaning::SignedUp),
    // Imported members have no opt-in time; they confirmed when they were added.
    ("confirm_time", Meaning::SignedUpFallback),
    ("unsub_time", Meaning::AllUnsubscribed),
    ("clean_time", Meaning::AllCleaned),
    ("tags", Meaning::Tags),
];

#[cfg(test)]
mod tests {
    use super::super::fixtures::{IN, OUT, Want, check};
    use super::super::{ColumnMapping, Format, SuppressionHint};

    const MC: Format = Format::Mailchimp;
    const BOUNCED: Option<SuppressionHint> = Some(SuppressionHint::Bounced);

    #[test]
    fn subscribed_export_keeps_names_times_tags_and_renames_question_headers() {
        #[rustfmt::skip]
        let wants: [Want; 6] = [
            (2, "ada@example.com", IN, ["Ada Lovelace", "Ada", "Lovelace"], "2018-02-05T19:28:23.000Z",
             r#"{"Zip Postal Code":"N1 9GU","What content are you interested in":"Essays, mostly","MEMBER_RATING":"3","OPTIN_IP":"203.0.113.5","CONFIRM_TIME":"2018-02-05 19:30:00","CC":"GB","LEID":"111"}"#,
             &["Editors", "VIP, gold"], None),
            (3, "jose@example.com", IN, ["José Núñez", "José", "Núñez"], "2019-03-01T08:00:00.000Z",
             r#"{"Zip Postal Code":"28013","MEMBER_RATING":"2","CONFIRM_TIME":"2019-03-01 08:00:00","LEID":"112"}"#, &[], None),
            (4, "s5@example.com", IN, ["Dolor Simet", "Dolor", "Simet"], "2018-02-05T19:28:22.000Z",
             r#"{"MEMBER_RATING":"1","CONFIRM_TIME":"2018-02-05 19:28:22"}"#, &["Editors"], None),
            (6, "GRACE@Example.COM", IN, ["Grace", "Grace", "-"], "2020-06-04T15:28:08.000Z",
             r#"{"MEMBER_RATING":"4"}"#, &[], None),
            (7, "Ada@example.com", IN, ["Ada Lovelace-King", "Ada", "Lovelace-King"], "2018-02-05T19:28:23.000Z",
             r#"{"MEMBER_RATING":"5","NOTES":"changed her\nname"}"#, &[], None),
            (10, "wei@example.cn", IN, ["伟 李", "伟", "李"], "2022-12-05T21:01:47.000Z", "{}", &["读者"], None),
        ];
        let columns = check(
            "mailchimp.csv",
            MC,
            &ColumnMapping::new(),
            &wants,
            &[(9, "email")],
        );
        let renamed: Vec<(usize, &str)> = columns
            .renamings()
            .iter()
            .map(|r| (r.column, r.key.as_str()))
            .collect();
        assert_eq!(
            renamed,
            [
                (4, "Zip Postal Code"),
                (5, "What content are you interested in")
            ]
        );
    }

    #[test]
    fn unsubscribed_export_is_unsubscribed_on_every_row() {
        #[rustfmt::skip]
        let wants: [Want; 6] = [
            (2, "u1@example.com", OUT, ["Dolor", "Dolor", "-"], "2018-02-12T10:54:27.000Z",
             r#"{"CONFIRM_TIME":"2018-02-12 10:54:27","UNSUB_TIME":"2018-07-23 12:19:27","UNSUB_REASON":"No longer interested"}"#, &[], None),
            (3, "u2@example.com", OUT, ["Simet", "-", "Simet"], "2018-02-12T10:54:26.000Z",
             r#"{"UNSUB_TIME":"2023-06-06 12:56:15"}"#, &["Lorem Editors"], None),
            (4, "U3@Example.com", OUT, ["Lorem Ipsum", "Lorem", "Ipsum"], "2020-12-25T13:35:34.000Z",
             r#"{"UNSUB_TIME":"2022-12-05 21:01:47","UNSUB_REASON":"Other","UNSUB_REASON_OTHER":"Too many emails, sorry"}"#, &[], None),
            (5, "u4@example.com", OUT, ["-", "-", "-"], "2018-02-05T19:28:23.000Z",
             r#"{"UNSUB_TIME":"2020-05-13 10:18:25"}"#, &[], None),
            (6, "u5@example.com", OUT, ["Zoë", "Zoë", "-"], "2018-02-05T19:28:23.000Z",
             r#"{"UNSUB_TIME":"2021-09-20 20:13:55"}"#, &[], None),
            (7, "u6@example.com", OUT, ["-", "-", "-"], "2019-01-01T01:01:01.000Z", "{}", &[], None),
        ];
        check(
            "mailchimp_unsubscribed.csv",
            MC,
            &ColumnMapping::new(),
            &wants,
            &[],
        );
    }

    #[test]
    fn cleaned_export_is_unsubscribed_and_bounced() {
        #[rustfmt::skip]
        let wants: [Want; 5] = [
            (2, "c1@example.com", OUT, ["Dolor", "Dolor", "-"], "2018-02-05T19:28:23.000Z",
             r#"{"MEMBER_RATING":"1","CLEAN_TIME":"2020-03-23 17:30:05"}"#, &["Editors"], BOUNCED),
            (3, "c2@example.com", OUT, ["Simet Lut", "Simet", "Lut"], "2018-02-12T10:54:27.000Z",
             r#"{"MEMBER_RATING":"1","CLEAN_TIME":"2020-06-25 15:12:06","CLEAN_CAMPAIGN_TITLE":"June, issue 4"}"#, &[], BOUNCED),
            (4, "c3@example.com", OUT, ["Lorem Ipsum", "Lorem", "Ipsum"], "2020-06-04T15:28:08.000Z",
             r#"{"CLEAN_TIME":"2023-05-12 15:19:02"}"#, &[], BOUNCED),
            (5, "c4@example.com", OUT, ["Lorem", "-", "Lorem"], "2018-02-05T19:28:23.000Z",
             r#"{"CLEAN_TIME":"2023-02-08 13:15:46"}"#, &[], BOUNCED),
            (6, "c5@example.com", OUT, ["-", "-", "-"], "2018-02-12T10:54:27.000Z",
             r#"{"CLEAN_TIME":"2020-03-25 17:40:24"}"#, &["Editors"], BOUNCED),
        ];
        check(
            "mailchimp_cleaned.csv",
            MC,
            &ColumnMapping::new(),
            &wants,
            &[(7, "email")],
        );
    }
}
