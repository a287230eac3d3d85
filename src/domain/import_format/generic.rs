//! Any CSV with an email column: the columns `purrlist import` has always read (`email`,
//! `name`, `first_name`, `last_name`, `subscribed`, `custom.<key>`), plus the spellings
//! other tools use for them, `unsubscribed` (opposite polarity), `createdAt` and `tags`;
//! and the words that make a custom cell refuse its row as an opt-out it would not read.

use super::Meaning;

/// What each column (lower-cased name) means; any other column is a custom field.
pub(super) const COLUMNS: &[(&str, Meaning)] = &[
    ("email", Meaning::Email),
    ("e-mail", Meaning::Email),
    ("email address", Meaning::Email),
    ("email_address", Meaning::Email),
    ("name", Meaning::Name),
    ("first_name", Meaning::FirstName),
    ("first name", Meaning::FirstName),
    ("firstname", Meaning::FirstName),
    ("last_name", Meaning::LastName),
    ("last name", Meaning::LastName),
    ("lastname", Meaning::LastName),
    ("subscribed", Meaning::Subscribed),
    ("unsubscribed", Meaning::Unsubscribed),
    ("createdat", Meaning::SignedUp),
    ("created_at", Meaning::SignedUp),
    ("tags", Meaning::Tags),
];

/// Cell values (case, `_` and `-` aside) that say a person stopped getting mail, or never
/// confirmed, in the words of the tools purrlist knows and of CRMs. The generic format reads
/// no status column, so a custom-field cell saying one of these (the `state` of a Kit export
/// whose email column is spelled `email`, not `email_address`) refuses its row rather than
/// be kept as text while the person is imported as subscribed (docs/import.md, "Any CSV").
const OPT_OUT_WORDS: &[&str] = &[
    "unsubscribed",
    "unsubscribe",
    "cancelled",
    "canceled",
    "bounced",
    "hard bounce",
    "complained",
    "cleaned",
    "blocklisted",
    "blacklisted",
    "blocked",
    "suppressed",
    "unconfirmed",
    "unactivated",
    "inactive",
    "opted out",
    "opt out",
    "optout",
    "do not email",
    "do not contact",
];

/// Whether a (trimmed) cell reads as an opt-out: see [`OPT_OUT_WORDS`]. No allocation:
/// it runs on every custom cell of a generic import.
pub(super) fn reads_as_opt_out(cell: &str) -> bool {
    let same = |a: u8, b: u8| a.eq_ignore_ascii_case(&b) || (b == b' ' && matches!(a, b'_' | b'-'));
    OPT_OUT_WORDS.iter().any(|word| {
        word.len() == cell.len() && cell.bytes().zip(word.bytes()).all(|(a, b)| same(a, b))
    })
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{IN, OUT, Want, check};
    use super::super::{ColumnMapping, Format};

    #[test]
    fn opt_out_words_are_read_whatever_their_case_and_separators() {
        for cell in [
            "Cancelled",
            "UNSUBSCRIBED",
            "opted_out",
            "Opted-Out",
            "do-not-email",
        ] {
            assert!(super::reads_as_opt_out(cell), "{cell}");
        }
        for cell in ["active", "NY", "cancelledx", "opted  out", "", "free"] {
            assert!(!super::reads_as_opt_out(cell), "{cell}");
        }
    }

    #[test]
    fn any_csv_with_a_map_renames_and_disambiguates() {
        let mut mapping = ColumnMapping::new();
        mapping.map("Signed up=createdAt").expect("map");
        #[rustfmt::skip]
        let wants: [Want; 4] = [
            (2, "a@example.com", IN, ["Ada Lovelace", "Ada", "Lovelace"], "2020-01-01T00:00:00.000Z", r#"{"Zip Postal Code":"N1 9GU","What content are you interested in":"Essays, mostly","plan":"pro","plan 2":"old"}"#, &[], None),
            (4, "B@Example.com", OUT, ["Bo", "Bo", "-"], "-", "{}", &[], None),
            (5, "c@example.com", None, ["Çelik Öz", "Çelik", "Öz"], "-", r#"{"What content are you interested in":"Poetry\nand prose"}"#, &[], None),
            (7, "a@example.com", OUT, ["-", "-", "-"], "-", "{}", &[], None),
        ];
        let bads = [(8, "email"), (9, "subscribed")];
        let columns = check("csv.csv", Format::Csv, &mapping, &wants, &bads);
        let renamed: Vec<(usize, &str)> = columns
            .renamings()
            .iter()
            .map(|r| (r.column, r.key.as_str()))
            .collect();
        assert_eq!(
            renamed,
            [
                (3, "Zip Postal Code"),
                (4, "What content are you interested in"),
                (8, "plan 2")
            ]
        );
    }
}
