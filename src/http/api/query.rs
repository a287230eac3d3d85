//! Strict query-string parsing: a bad `limit`, `page` or `subscribed` is a 400 naming it.
//! Booleans take the words CSV import takes (`domain::csv_cells`); in `email=` a `+` is a
//! plus sign (docs/api.md, "Query strings").

use crate::domain::csv_cells::{BOOLEAN_WORDS, parse_boolean};
use crate::http::error::ApiError;
use std::borrow::Cow;
use std::collections::HashMap;

/// Parameters whose value is an email address: an address cannot hold an unquoted space,
/// so a literal `+` there is the `+` of `noto+tag@example.com`, not a space.
const PLUS_IS_LITERAL: [&str; 1] = ["email"];

/// Query parameters by name; a parameter given twice is an error.
pub struct QueryParams(HashMap<String, String>);

impl QueryParams {
    /// Parses a raw query string (percent-decoded, `+` as space but in [`PLUS_IS_LITERAL`]).
    pub fn parse(raw: Option<&str>) -> Result<QueryParams, ApiError> {
        let raw = plus_as_literal(raw.unwrap_or(""));
        let mut map = HashMap::new();
        for (name, value) in form_urlencoded::parse(raw.as_bytes()) {
            if map.insert(name.to_string(), value.to_string()).is_some() {
                return Err(ApiError::bad_parameter(
                    &name,
                    format!("`{name}` is given more than once."),
                ));
            }
        }
        Ok(QueryParams(map))
    }

    /// A parameter as text.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// An integer within `min..=max`, or `default` when absent.
    pub fn integer(&self, name: &str, min: u64, max: u64, default: u64) -> Result<u64, ApiError> {
        let Some(raw) = self.text(name) else {
            return Ok(default);
        };
        raw.trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                ApiError::bad_parameter(
                    name,
                    format!("`{name}` must be a whole number from {min} to {max}."),
                )
            })
    }

    /// A boolean, when given: one of [`BOOLEAN_WORDS`], in any case.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.text(name)
            .map(|raw| {
                parse_boolean(raw).ok_or_else(|| {
                    ApiError::bad_parameter(
                        name,
                        format!("`{name}` must be {BOOLEAN_WORDS} (in any case)."),
                    )
                })
            })
            .transpose()
    }
}

/// `raw` with every `+` in the values of [`PLUS_IS_LITERAL`] percent-encoded as `%2B`.
fn plus_as_literal(raw: &str) -> Cow<'_, str> {
    if !raw.contains('+') {
        return Cow::Borrowed(raw);
    }
    let pairs: Vec<Cow<'_, str>> = raw
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, value)) if plus_is_literal(name) => {
                Cow::Owned(format!("{name}={}", value.replace('+', "%2B")))
            }
            _ => Cow::Borrowed(pair),
        })
        .collect();
    Cow::Owned(pairs.join("&"))
}

/// Whether a raw (still encoded) parameter name decodes to one of [`PLUS_IS_LITERAL`].
fn plus_is_literal(raw_name: &str) -> bool {
    form_urlencoded::parse(raw_name.as_bytes())
        .next()
        .is_some_and(|(name, _)| PLUS_IS_LITERAL.contains(&name.as_ref()))
}
