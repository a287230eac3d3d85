//! Format knowledge for moving in from other newsletter tools: which tool wrote a file
//! (detected from its header, or forced by name), and how each row of it becomes an
//! [`ImportedContact`] with the tool's own meaning kept: opt-out columns with their
//! polarity, names, the original sign-up time, tags, and every other column as a custom
//! field under a valid key. Pure: reading the file and writing contacts are the callers'.
//!
//! One file per tool says what its columns mean; [`columns`] applies that (with the
//! person's `--map`/`--ignore`, see [`mapping`]) to a header and then to each row;
//! [`ndjson`] reads the API-shaped NDJSON lines. The sources of the column knowledge are
//! in docs/import.md and beside each fixture in tests/fixtures/import/.

mod beehiiv;
mod buttondown;
pub mod columns;
mod contact;
mod generic;
mod ghost;
mod kit;
mod listmonk;
mod mailchimp;
pub mod mapping;
pub mod ndjson;
mod purrlist;
mod resend;
mod row;
mod substack;
mod values;

pub use columns::{FormatColumns, HeaderError, Renaming};
pub use contact::{ImportedContact, SuppressionHint};
pub use mapping::{ColumnMapping, MappingError, Target};

/// The tools (and shapes) an import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// purrlist's own export (`purrlist export`).
    Purrlist,
    /// Mailchimp audience export: the subscribed, unsubscribed and cleaned files.
    Mailchimp,
    /// Substack's subscriber list (Settings → Exports).
    Substack,
    /// Ghost members export.
    Ghost,
    /// listmonk subscribers export.
    Listmonk,
    /// Buttondown subscribers export.
    Buttondown,
    /// Kit (ConvertKit) subscribers export.
    Kit,
    /// beehiiv subscribers export.
    Beehiiv,
    /// Resend contacts export.
    Resend,
    /// Any other CSV with an email column.
    Csv,
    /// One JSON contact per line, in the API's shape.
    Ndjson,
}

impl Format {
    /// Every format, in the order detection tries them (`Csv` and `Ndjson` last).
    pub const ALL: [Format; 11] = [
        Format::Purrlist,
        Format::Mailchimp,
        Format::Ghost,
        Format::Substack,
        Format::Listmonk,
        Format::Buttondown,
        Format::Kit,
        Format::Beehiiv,
        Format::Resend,
        Format::Csv,
        Format::Ndjson,
    ];

    /// The name `--format` takes and the report prints.
    pub fn name(self) -> &'static str {
        match self {
            Format::Purrlist => "purrlist",
            Format::Mailchimp => "mailchimp",
            Format::Substack => "substack",
            Format::Ghost => "ghost",
            Format::Listmonk => "listmonk",
            Format::Buttondown => "buttondown",
            Format::Kit => "kit",
            Format::Beehiiv => "beehiiv",
            Format::Resend => "resend",
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
        }
    }

    /// The format `--format NAME` forces (any case; `convertkit` is `kit`).
    pub fn from_name(name: &str) -> Option<Format> {
        let name = name.trim().to_ascii_lowercase();
        if name == "convertkit" {
            return Some(Format::Kit);
        }
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether a header (as [`Names`]) is this tool's; `Csv` takes any, `Ndjson` none.
    fn matches(self, names: &Names) -> bool {
        match self {
            Format::Purrlist => purrlist::matches(names),
            Format::Mailchimp => mailchimp::matches(names),
            Format::Substack => substack::matches(names),
            Format::Ghost => ghost::matches(names),
            Format::Listmonk => listmonk::matches(names),
            Format::Buttondown => buttondown::matches(names),
            Format::Kit => kit::matches(names),
            Format::Beehiiv => beehiiv::matches(names),
            Format::Resend => resend::matches(names),
            Format::Csv => true,
            Format::Ndjson => false,
        }
    }

    /// What a column named `name` (lower-cased) means in this format; `None` is "a custom
    /// field named as the header".
    fn meaning(self, name: &str) -> Option<Meaning> {
        self.columns()
            .iter()
            .find(|(column, _)| *column == name)
            .map(|(_, meaning)| meaning.clone())
    }

    /// The format's column table.
    fn columns(self) -> &'static [(&'static str, Meaning)] {
        match self {
            Format::Purrlist => purrlist::COLUMNS,
            Format::Mailchimp => mailchimp::COLUMNS,
            Format::Substack => substack::COLUMNS,
            Format::Ghost => ghost::COLUMNS,
            Format::Listmonk => listmonk::COLUMNS,
            Format::Buttondown => buttondown::COLUMNS,
            Format::Kit => kit::COLUMNS,
            Format::Beehiiv => beehiiv::COLUMNS,
            Format::Resend => resend::COLUMNS,
            Format::Csv | Format::Ndjson => generic::COLUMNS,
        }
    }
}

/// The format a CSV header row is in: the first tool whose columns it has, else `Csv`.
pub fn detect<'a>(header: impl IntoIterator<Item = &'a str>) -> Format {
    let names = Names::new(header);
    Format::ALL
        .into_iter()
        .find(|format| format.matches(&names))
        .unwrap_or(Format::Csv)
}

/// Whether a file whose first non-blank line is `line` is NDJSON rather than CSV (a CSV
/// header never starts with `{`).
pub fn is_ndjson(line: &str) -> bool {
    line.trim_start_matches('\u{feff}')
        .trim_start()
        .starts_with('{')
}

/// A header's names as matched: byte-order mark dropped, trimmed, lower-cased.
struct Names(Vec<String>);

impl Names {
    fn new<'a>(header: impl IntoIterator<Item = &'a str>) -> Names {
        Names(
            header
                .into_iter()
                .map(|h| normal_name(h).to_lowercase())
                .collect(),
        )
    }

    fn has(&self, name: &str) -> bool {
        self.0.iter().any(|n| n == name)
    }

    fn has_any(&self, names: &[&str]) -> bool {
        names.iter().any(|name| self.has(name))
    }
}

/// A header name as written, without a byte-order mark or surrounding spaces.
fn normal_name(raw: &str) -> &str {
    raw.trim_start_matches('\u{feff}').trim()
}

/// How one column is read.
#[derive(Debug, Clone)]
enum Meaning {
    Email,
    Name,
    FirstName,
    LastName,
    /// `true`/`1`/`yes` is subscribed.
    Subscribed,
    /// `true`/`1`/`yes` is unsubscribed (Substack `email_disabled`, Resend `unsubscribed`).
    Unsubscribed,
    /// A status word the tool's function reads; its value is also kept as a custom field.
    Status(fn(&str) -> Option<Consent>),
    /// Its presence in the header makes every row unsubscribed (Mailchimp `UNSUB_TIME`).
    AllUnsubscribed,
    /// Its presence makes every row unsubscribed and bounced (Mailchimp `CLEAN_TIME`).
    AllCleaned,
    /// A non-empty cell means unsubscribed (beehiiv `unsubscribed_at`).
    UnsubscribedWhenSet,
    /// The sign-up time.
    SignedUp,
    /// The sign-up time when the row has no [`Meaning::SignedUp`] cell; also kept.
    SignedUpFallback,
    /// A list of tags.
    Tags,
    /// A JSON object whose entries are custom fields.
    Attributes,
    /// purrlist's contact id.
    Id,
    /// purrlist's unsubscribe token.
    UnsubToken,
    /// purrlist's suppression of the address (`bounced`, `complained`, `manual`): the row
    /// is unsubscribed and the address suppressed.
    Suppression,
    /// Left out.
    Ignored,
    /// A custom field under this key (made valid like a header).
    Custom(&'static str),
}

impl Meaning {
    /// The contact field a column holds, when only one column may hold it.
    fn field(&self) -> Option<&'static str> {
        Some(match self {
            Meaning::Email => "email",
            Meaning::Name => "name",
            Meaning::FirstName => "first_name",
            Meaning::LastName => "last_name",
            Meaning::Subscribed | Meaning::Unsubscribed => "subscribed",
            Meaning::SignedUp => "createdAt",
            Meaning::Id => "id",
            Meaning::UnsubToken => "unsub_token",
            Meaning::Suppression => "suppression",
            _ => return None,
        })
    }
}

/// What a status says about consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Consent {
    subscribed: bool,
    suppression: Option<SuppressionHint>,
}

impl Consent {
    const SUBSCRIBED: Option<Consent> = Some(Consent {
        subscribed: true,
        suppression: None,
    });
    const UNSUBSCRIBED: Option<Consent> = Some(Consent {
        subscribed: false,
        suppression: None,
    });

    fn suppressed(hint: SuppressionHint) -> Option<Consent> {
        Some(Consent {
            subscribed: false,
            suppression: Some(hint),
        })
    }
}

#[cfg(test)]
mod fixtures;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_convertkit_is_kit() {
        for format in Format::ALL {
            assert_eq!(Format::from_name(format.name()), Some(format));
        }
        assert_eq!(Format::from_name(" ConvertKit "), Some(Format::Kit));
        assert_eq!(Format::from_name("mailchimpp"), None);
    }

    #[test]
    fn ndjson_is_told_from_csv_by_its_first_line() {
        assert!(is_ndjson("\u{feff} {\"email\":\"a@example.com\"}"));
        assert!(!is_ndjson("email,name"));
    }

    #[test]
    fn an_unknown_header_is_generic_csv() {
        assert_eq!(detect(["E-mail", "Zip/Postal Code"]), Format::Csv);
        assert_eq!(detect(["email_address", "name"]), Format::Csv);
        assert_eq!(detect(["\u{feff}Email", "Subscribed"]), Format::Csv);
        assert_eq!(
            detect(["email", "unsubscribed", "created_at"]),
            Format::Resend
        );
    }
}
