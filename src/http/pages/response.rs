//! How every public page answers: its security headers, the HTML body, and the pages for
//! when something other than the link is at fault (the server busy, the database away),
//! so a person who followed a link never sees the API's JSON envelope.

use super::html::render;
use crate::http::error::ApiError;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Path prefixes of the pages for people (answered in HTML, never in JSON).
const PAGE_PREFIXES: &[&str] = &["/u/", "/c/"];

/// Whether `path` is one of the public pages for people.
pub fn is_page(path: &str) -> bool {
    PAGE_PREFIXES.iter().any(|prefix| path.starts_with(prefix))
}

/// The security headers of every page: not cached, not indexed, no referrer (the URL
/// holds the token), nothing loaded from anywhere, forms only to this server, no framing.
const PAGE_HEADERS: &[(&str, &str)] = &[
    ("cache-control", "no-store"),
    ("x-robots-tag", "noindex, nofollow"),
    ("referrer-policy", "no-referrer"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    ),
    ("x-content-type-options", "nosniff"),
];

/// A body of `content_type` with the page headers.
pub fn with_page_headers(status: StatusCode, content_type: &'static str, body: Body) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in PAGE_HEADERS {
        headers.insert(*name, HeaderValue::from_static(value));
    }
    response
}

/// An HTML page with the page headers.
pub fn page(status: StatusCode, html: String) -> Response {
    with_page_headers(status, "text/html; charset=utf-8", Body::from(html))
}

/// The page for an error that is not the link's fault: 503 (busy, database away; with
/// `Retry-After`) says to try again shortly, anything else that it failed on our side.
/// Nothing about the cause is shown.
pub fn error_page(error: &ApiError) -> Response {
    let status = error.status();
    let (heading, text) = if status == StatusCode::SERVICE_UNAVAILABLE {
        (
            "Please try again in a moment",
            "The server is busy right now and nothing was changed. Open the link again in a \
             minute.",
        )
    } else {
        (
            "Something went wrong",
            "Nothing was changed. Open the link again later; if it keeps failing, reply to the \
             email you received.",
        )
    };
    let mut response = page(
        status,
        render(heading, heading, &[text.to_owned()], None, None),
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_pages_for_people_are_pages() {
        assert!(is_page("/u/abc"));
        assert!(is_page("/c/abc"));
        assert!(!is_page("/v1/contacts"));
        assert!(!is_page("/docs"));
        assert!(!is_page("/u"));
    }

    #[test]
    fn a_busy_server_answers_a_page_that_says_to_retry() {
        let response = error_page(&ApiError::overloaded());
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert_eq!(response.headers()[header::RETRY_AFTER], "1");
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
}
