//! purrlist's own export (`purrlist export`, src/cli/export.rs): `email`, `name`,
//! `first_name`, `last_name`, `subscribed`, `custom.<key>`…, and, so a move keeps every id,
//! unsubscribe link and suppression, `id`, `unsub_token`, `createdAt` and `suppression`
//! (`bounced`, `complained` or `manual`: the row is unsubscribed and its address
//! suppressed, as a tool's bounced member is; empty is none, and never lifts one;
//! `updatedAt` and `workspace_id` belong to the old server and are left out).

use super::{Meaning, Names};

/// Its own `unsub_token`, or all five fixed columns of today's export.
pub(super) fn matches(names: &Names) -> bool {
    names.has("unsub_token")
        || ["email", "name", "first_name", "last_name", "subscribed"]
            .iter()
            .all(|n| names.has(n))
}

/// What each column (lower-cased name) means; any other column is a custom field.
pub(super) const COLUMNS: &[(&str, Meaning)] = &[
    ("id", Meaning::Id),
    ("unsub_token", Meaning::UnsubToken),
    ("updatedat", Meaning::Ignored),
    ("workspace_id", Meaning::Ignored),
    ("email", Meaning::Email),
    ("name", Meaning::Name),
    ("first_name", Meaning::FirstName),
    ("last_name", Meaning::LastName),
    ("subscribed", Meaning::Subscribed),
    ("createdat", Meaning::SignedUp),
    ("suppression", Meaning::Suppression),
];

#[cfg(test)]
mod tests {
    use super::super::fixtures::{IN, OUT, Want, check, check_bad_suppression};
    use super::super::{ColumnMapping, Format};

    #[test]
    fn own_export_keeps_ids_tokens_and_created_at() {
        #[rustfmt::skip]
        let wants: [Want; 3] = [
            (2, "noto@example.com", IN, ["Noto", "Noto", "Cat"], "2023-04-25T14:34:03.000Z", r#"{"plan":"pro"}"#, &[], None),
            (3, "left@example.com", OUT, ["-", "-", "-"], "2023-05-01T00:00:00.000Z", "{}", &[], None),
            (4, "Ünïcode@Example.com", IN, ["Ünï Cöde", "Ünï", "Cöde"], "2023-05-02T00:00:00.000Z", r#"{"plan":"free, for now","Zip Postal Code":"10115"}"#, &[], None),
        ];
        let mut more = wants.to_vec();
        more.push((
            8,
            "yes@example.com",
            IN,
            ["-", "-", "-"],
            "2023-05-05T00:00:00.000Z",
            "{}",
            &[],
            None,
        ));
        let bads = [(5, "name"), (7, "id")];
        let columns = check(
            "purrlist.csv",
            Format::Purrlist,
            &ColumnMapping::new(),
            &more,
            &bads,
        );
        assert!(
            columns.renamings().is_empty(),
            "custom.<key> is not a renaming"
        );
        let (_, rows) = super::super::fixtures::read("purrlist.csv", &ColumnMapping::new());
        let first = rows[0].1.as_ref().expect("first row");
        let id = first.id.as_ref().map(|i| i.as_str());
        let token = first.unsub_token.as_ref().map(|t| t.as_str());
        assert_eq!(
            (id, token),
            (
                Some("con_D6zCfeVDaAAT-b9dl9SIE"),
                Some("DwVf3KDpCeLqQTWADxulW")
            )
        );
    }

    #[test]
    fn own_export_formula_escaping_is_undone() {
        use super::super::FormatColumns;
        let header = [
            "email",
            "name",
            "first_name",
            "last_name",
            "subscribed",
            "custom.note",
        ];
        let columns =
            FormatColumns::new(Format::Purrlist, header, &ColumnMapping::new()).expect("header");
        let row = [
            "'=cmd@example.com",
            "'=1+1",
            "''Tis",
            "'Tis",
            "true",
            "'-2+3",
        ];
        let contact = columns.contact(row).expect("row");
        assert_eq!(contact.email.as_str(), "=cmd@example.com");
        let names = (
            contact.name.as_deref(),
            contact.first_name.as_deref(),
            contact.last_name.as_deref(),
        );
        assert_eq!(names, (Some("=1+1"), Some("'Tis"), Some("'Tis")));
        let fields = contact.custom_fields.entries();
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].1, Some(serde_json::json!("-2+3")));
    }

    #[test]
    fn own_export_suppression_unsubscribes_and_suppresses_or_refuses_the_row() {
        use super::super::{FormatColumns, SuppressionHint};
        let header = [
            "id",
            "email",
            "subscribed",
            "unsub_token",
            "updatedAt",
            "suppression",
            "custom.plan",
        ];
        let columns =
            FormatColumns::new(Format::Purrlist, header, &ColumnMapping::new()).expect("header");
        let row = |subscribed: &str, suppression: &str| {
            let cells = [
                "con_D6zCfeVDaAAT-b9dl9SIE",
                "a@example.com",
                subscribed,
                "DwVf3KDpCeLqQTWADxulW",
                "2023-04-25T15:30:28.512Z",
                suppression,
                "pro",
            ];
            columns.contact(cells)
        };
        for hint in [
            SuppressionHint::Bounced,
            SuppressionHint::Complained,
            SuppressionHint::Manual,
        ] {
            let contact = row("false", hint.as_str()).expect("row");
            assert_eq!(
                (contact.suppression, contact.subscribed),
                (Some(hint), Some(false))
            );
            // Never a custom field.
            let fields = contact.custom_fields.entries();
            assert!(fields.iter().all(|(key, _)| key == "plan"), "{fields:?}");
            // A suppressed row is unsubscribed even where the file says subscribed.
            let contact = row("true", hint.as_str()).expect("row");
            assert_eq!(contact.subscribed, Some(false));
        }
        let none = row("true", "").expect("row");
        assert_eq!((none.suppression, none.subscribed), (None, Some(true)));
        for (word, says) in [
            ("erased", "never a contact"),
            ("Manual", "bounced, complained or manual"),
            ("cleaned", "bounced, complained or manual"),
        ] {
            check_bad_suppression(&row("false", word).expect_err(word), says);
        }
    }
}
