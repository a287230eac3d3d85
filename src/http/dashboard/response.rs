//! How every dashboard answer is made: the security headers (a strict Content-Security-
//! Policy with no script at all, no framing, no referrer to other sites, no caching of private pages),
//! HTML pages, redirects after a form (303, so a reload does not post again), and the pages
//! for what went wrong (not found, forbidden, the store failing).

use super::layout::{Frame, page};
use crate::http::error::ApiError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

/// Nothing but this server's own stylesheet and images; forms post only here; no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Adds the headers every dashboard answer carries; `Cache-Control: no-store` unless the
/// handler chose its caching (the embedded assets).
pub async fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::HeaderName::from_static("x-robots-tag"),
            HeaderValue::from_static("noindex, nofollow"),
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, value);
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// An HTML page.
pub fn html_page(status: StatusCode, markup: Markup) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response()
}

/// `303 See Other` to `location` (a path on this server).
pub fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => (
            StatusCode::SEE_OTHER,
            [(header::LOCATION, HeaderValue::from_static("/admin"))],
        )
            .into_response(),
    }
}

/// A page with a heading and one sentence, for answers that are not the page asked for.
pub fn message_page(status: StatusCode, frame: Frame<'_>, heading: &str, text: &str) -> Response {
    html_page(
        status,
        page(
            heading,
            frame,
            html! {
                h1 { (heading) }
                p { (text) }
                p { a href="/admin" { "Back to the dashboard" } }
            },
        ),
    )
}

/// The one answer for a page that does not exist or that this key may not see: it
/// reveals nothing about which.
pub fn not_found_page() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        Frame::bare(),
        "Not found",
        "There is no such page, or your API key may not see it.",
    )
}

/// The fallback of `/admin/…`.
pub async fn not_found() -> Response {
    not_found_page()
}

/// 403 for a write a read-only key may not make.
pub fn read_only_page() -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        Frame::bare(),
        "Read-only",
        "You signed in with a read-only API key: it cannot change anything.",
    )
}

/// The page for an error from the store or the rules that is not a form's fault: 503
/// (busy, database away) says to try again; anything else that it failed. Nothing of the
/// cause is shown; a server error is logged.
pub fn error_page(error: &ApiError) -> Response {
    let status = error.status();
    if status.is_server_error() {
        tracing::warn!(code = ?error.code(), "dashboard request failed");
    }
    let (heading, text) = if status == StatusCode::SERVICE_UNAVAILABLE {
        (
            "Please try again in a moment",
            "The server is busy right now and nothing was changed.",
        )
    } else if status.is_server_error() {
        ("Something went wrong", "Nothing was changed.")
    } else {
        ("That did not work", error.body().message.as_str())
    };
    let mut response = message_page(status, Frame::bare(), heading, text);
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}
