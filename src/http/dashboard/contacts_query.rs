//! What the contacts list was asked for (its query string): the search text, the
//! subscription and suppression filters and the keyset cursor, and the query strings of
//! its first and next pages.

use super::form::FormFields;
use crate::domain::list_position::ContactCursor;

/// What the list was asked for.
#[derive(Debug, Default)]
pub(super) struct ListQuery {
    pub done: Option<&'static str>,
    pub text: String,
    pub subscribed: Option<bool>,
    pub suppressed: Option<bool>,
    pub before: Option<ContactCursor>,
}

fn yes_no(value: &str) -> Option<bool> {
    match value {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

impl ListQuery {
    pub fn parse(raw: Option<&str>) -> ListQuery {
        let fields = FormFields::parse(raw.unwrap_or("").as_bytes());
        ListQuery {
            done: (fields.text("done") == "deleted").then_some("The contact was deleted."),
            text: fields.text("q").trim().to_owned(),
            subscribed: yes_no(fields.text("subscribed")),
            suppressed: yes_no(fields.text("suppression")),
            before: fields.get("before").and_then(ContactCursor::parse),
        }
    }

    /// The search's query string, without a cursor.
    fn filters(&self) -> form_urlencoded::Serializer<'static, String> {
        let mut out = form_urlencoded::Serializer::new(String::new());
        out.append_pair("q", &self.text);
        let word = |b: bool| if b { "yes" } else { "no" };
        if let Some(subscribed) = self.subscribed {
            out.append_pair("subscribed", word(subscribed));
        }
        if let Some(suppressed) = self.suppressed {
            out.append_pair("suppression", word(suppressed));
        }
        out
    }

    /// The query string of this search starting after `cursor`.
    pub fn next(&self, cursor: &ContactCursor) -> String {
        let mut out = self.filters();
        out.append_pair("before", &cursor.to_text());
        out.finish()
    }

    /// The query string of this search from its first page.
    pub fn first(&self) -> String {
        self.filters().finish()
    }
}
