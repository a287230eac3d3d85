//! Conditional writes: a strong `ETag` per contact version, and `If-Match` turned into
//! the domain's `Precondition` (checked inside the write's transaction).

use crate::domain::target::Precondition;
use crate::http::error::ApiError;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The strong ETag of a contact version: `"7"`.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// `response` with the ETag of `version`.
pub fn with_etag(response: impl IntoResponse, version: i64) -> Response {
    let mut response = response.into_response();
    response.headers_mut().insert(header::ETAG, etag(version));
    response
}

fn malformed() -> ApiError {
    ApiError::bad_header(
        "If-Match",
        "`If-Match` must be `*` or a list of ETags as this server sends them, like `\"3\"`.",
    )
}

/// One element of an `If-Match` list.
#[derive(Debug, PartialEq, Eq)]
enum Tag<'a> {
    /// `*`.
    Any,
    /// `"opaque"`.
    Strong(&'a str),
    /// `W/"opaque"`: never matches under strong comparison.
    Weak,
}

const OWS: [char; 2] = [' ', '\t'];

/// Splits one header value into entity-tags (RFC 9110 §8.8.3): a comma may stand inside
/// a quoted tag, so the list is read tag by tag, not split on commas. `None` if malformed.
fn entity_tags(text: &str) -> Option<Vec<Tag<'_>>> {
    let mut tags = Vec::new();
    let mut rest = text;
    loop {
        // Empty list elements are allowed (RFC 9110 §5.6.1).
        rest = rest.trim_start_matches(|c| c == ',' || OWS.contains(&c));
        if rest.is_empty() {
            return Some(tags);
        }
        if let Some(after) = rest.strip_prefix('*') {
            tags.push(Tag::Any);
            rest = after;
        } else {
            let (weak, quoted) = match rest.strip_prefix("W/") {
                Some(after) => (true, after),
                None => (false, rest),
            };
            let inner = quoted.strip_prefix('"')?;
            let end = inner.find('"')?;
            let opaque = &inner[..end];
            if !opaque
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x7e).contains(&b))
            {
                return None;
            }
            tags.push(if weak { Tag::Weak } else { Tag::Strong(opaque) });
            rest = &inner[end + 1..];
        }
        rest = rest.trim_start_matches(OWS);
        if !(rest.is_empty() || rest.starts_with(',')) {
            return None;
        }
    }
}

/// Reads `If-Match` (RFC 9110 §13.1.1, strong comparison): absent → no condition, `*` →
/// the contact must exist, else a list of tags; weak tags and tags this server never
/// makes can never match. A value that is not an entity-tag list is 400 `invalid_header`.
pub fn precondition(headers: &HeaderMap) -> Result<Precondition, ApiError> {
    let mut values = headers.get_all(header::IF_MATCH).iter().peekable();
    if values.peek().is_none() {
        return Ok(Precondition::None);
    }
    let mut versions = Vec::new();
    for value in values {
        let text = value.to_str().map_err(|_| malformed())?;
        for tag in entity_tags(text).ok_or_else(malformed)? {
            match tag {
                Tag::Any => return Ok(Precondition::Exists),
                Tag::Weak => {}
                Tag::Strong(opaque) => {
                    if let Ok(version) = opaque.parse::<i64>() {
                        versions.push(version);
                    }
                }
            }
        }
    }
    Ok(Precondition::Versions(versions))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(values: &[&str]) -> Result<Precondition, u16> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::IF_MATCH, HeaderValue::from_str(v).expect("header"));
        }
        precondition(&headers).map_err(|e| e.status().as_u16())
    }

    #[test]
    fn if_match_forms() {
        assert_eq!(parse(&[]), Ok(Precondition::None));
        assert_eq!(parse(&["*"]), Ok(Precondition::Exists));
        assert_eq!(parse(&["\"3\""]), Ok(Precondition::Versions(vec![3])));
        assert_eq!(
            parse(&["\"3\", \"5\"", "\"7\""]),
            Ok(Precondition::Versions(vec![3, 5, 7]))
        );
        assert_eq!(parse(&["W/\"3\""]), Ok(Precondition::Versions(vec![])));
        assert_eq!(parse(&["\"abc\""]), Ok(Precondition::Versions(vec![])));
        assert_eq!(parse(&["3"]), Err(400));
        assert_eq!(parse(&["\"3"]), Err(400));
        assert_eq!(
            parse(&["\"3\" \"4\""]),
            Err(400),
            "tags need a comma between them"
        );
        assert_eq!(
            parse(&["W/\"\"  ,\t W/\"3\" , \"a,b\", \"5\" ,, \"\""]),
            Ok(Precondition::Versions(vec![5])),
            "a comma inside a quoted tag does not split it; empty elements are allowed"
        );
    }
}
