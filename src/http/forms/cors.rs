//! CORS for the sign-up form: a browser page may read the answer of `POST /f/{key}` (and
//! send JSON, which needs a preflight) only from an origin its form key lists. A page on
//! another origin is refused outright when the key lists any, so a form cannot be copied
//! onto someone else's site; a key listing none takes form posts from anywhere and never
//! answers with CORS headers.

use crate::domain::form_key::FormKey;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

/// How long a browser may keep a preflight's answer.
const PREFLIGHT_MAX_AGE: &str = "600";

/// What the request's `Origin` means for this key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginCheck {
    /// No `Origin` (a server, curl), or the key lists no origins: served, no CORS headers.
    Plain,
    /// A listed origin: served with CORS headers for it.
    Allowed(HeaderValue),
    /// An origin the key does not list: refused.
    Refused,
}

/// Checks the request's `Origin` against the key.
pub fn check_origin(headers: &HeaderMap, key: &FormKey) -> OriginCheck {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return OriginCheck::Plain;
    };
    if key.settings.allowed_origins.is_empty() {
        return OriginCheck::Plain;
    }
    match origin.to_str() {
        Ok(text) if key.allows_origin(text) => OriginCheck::Allowed(origin.clone()),
        _ => OriginCheck::Refused,
    }
}

/// Adds the CORS headers for an allowed origin (and `Vary: Origin` always, since the
/// answer depends on it).
pub fn with_cors(mut response: Response, check: &OriginCheck, preflight: bool) -> Response {
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let OriginCheck::Allowed(origin) = check {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        if preflight {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("POST"),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type, accept"),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(PREFLIGHT_MAX_AGE),
            );
        }
    }
    response
}
