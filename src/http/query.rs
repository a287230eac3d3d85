//! Strict query-string parsing: a bad `limit`, `page` or `subscribed` is a 400 naming it.

use super::error::ApiError;
use std::collections::HashMap;

/// Query parameters by name; a parameter given twice is an error.
pub struct QueryParams(HashMap<String, String>);

impl QueryParams {
    /// Parses a raw query string (percent-decoded, `+` as space).
    pub fn parse(raw: Option<&str>) -> Result<QueryParams, ApiError> {
        let mut map = HashMap::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
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

    /// `true` or `false`, when given.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, ApiError> {
        match self.text(name) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(_) => Err(ApiError::bad_parameter(
                name,
                format!("`{name}` must be `true` or `false`."),
            )),
        }
    }
}
