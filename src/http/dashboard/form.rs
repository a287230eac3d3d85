//! Reading a dashboard form: the urlencoded body (under the server's body limit and time
//! limit), refused with a 403 page unless it carries the session's CSRF token and, when the
//! browser says where the request comes from (`Origin`, `Sec-Fetch-Site`), it comes from
//! this server. SameSite=Strict already keeps the cookie off other sites' requests; these
//! checks hold even where it does not.

use super::layout::Frame;
use super::response::message_page;
use super::session::SignedIn;
use crate::domain::workspace::Workspace;
use crate::http::AppState;
use crate::http::request_body;
use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

/// The fields of a posted form, in order.
#[derive(Debug, Default)]
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    /// Fields parsed from an urlencoded body.
    pub fn parse(body: &[u8]) -> FormFields {
        FormFields(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or "".
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every field, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }
}

/// 403 for a form without the right token, or from another site.
pub fn refused() -> Response {
    message_page(
        StatusCode::FORBIDDEN,
        Frame::bare(),
        "This form has expired",
        "Nothing was changed. Go back, reload the page and try again.",
    )
}

/// Whether the browser says the request comes from another site: by `Sec-Fetch-Site` when
/// it sends one (every current browser; it is the only word when `Origin` is `null`, as
/// browsers send it under some referrer policies), else by `Origin` against `Host`.
fn from_elsewhere(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = text("origin") else {
        return false;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    match (origin_host, host) {
        (Some(origin_host), Some(host)) => !origin_host.eq_ignore_ascii_case(host),
        _ => true,
    }
}

/// The fields of a form posted without a session (signing in): from this server only.
pub async fn read_fields(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<FormFields, Response> {
    if from_elsewhere(headers) {
        return Err(refused());
    }
    let limits = &state.limits;
    match request_body::read(headers, body, limits.body_bytes, limits.body_read_timeout).await {
        Ok(bytes) => Ok(FormFields::parse(&bytes)),
        Err(e) => Err(message_page(
            e.status(),
            Frame::bare(),
            "The form could not be read",
            &e.message(),
        )),
    }
}

/// The fields of a form posted in `signed_in`'s session, its CSRF token checked.
pub async fn read(
    state: &AppState,
    signed_in: &SignedIn,
    headers: &HeaderMap,
    body: Body,
) -> Result<FormFields, Response> {
    let fields = read_fields(state, headers, body).await?;
    if !signed_in.csrf_matches(fields.text("csrf")) {
        return Err(refused());
    }
    Ok(fields)
}

/// A write's form about what the path names: the form read with its CSRF token checked,
/// then `found` (the workspace and the thing in it, a 404 page unless the key may see
/// them), then the key's right to write (403 for a read-only key), in that order.
pub async fn write_about<T>(
    state: &AppState,
    signed_in: &SignedIn,
    headers: &HeaderMap,
    body: Body,
    found: impl Future<Output = Result<(Workspace, T), Response>>,
) -> Result<(FormFields, Workspace, T), Response> {
    let fields = read(state, signed_in, headers, body).await?;
    let (workspace, thing) = found.await?;
    if !signed_in.may_write() {
        return Err(super::response::read_only_page());
    }
    Ok((fields, workspace, thing))
}

/// [`write_about`] the workspace itself.
pub async fn write_in_workspace(
    state: &AppState,
    signed_in: &SignedIn,
    workspace: &str,
    headers: &HeaderMap,
    body: Body,
) -> Result<(FormFields, Workspace), Response> {
    let found = async { Ok((signed_in.workspace(state, workspace).await?, ())) };
    let (fields, workspace, ()) = write_about(state, signed_in, headers, body, found).await?;
    Ok((fields, workspace))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn only_this_server_may_post() {
        assert!(!from_elsewhere(&headers(&[("host", "a:1")])));
        assert!(!from_elsewhere(&headers(&[
            ("host", "a:1"),
            ("origin", "http://a:1")
        ])));
        assert!(from_elsewhere(&headers(&[
            ("host", "a:1"),
            ("origin", "http://b:1")
        ])));
        assert!(from_elsewhere(&headers(&[
            ("host", "a:1"),
            ("origin", "null")
        ])));
        assert!(from_elsewhere(&headers(&[
            ("host", "a:1"),
            ("sec-fetch-site", "cross-site")
        ])));
        assert!(!from_elsewhere(&headers(&[
            ("host", "a:1"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!from_elsewhere(&headers(&[
            ("host", "a:1"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(from_elsewhere(&headers(&[
            ("host", "a:1"),
            ("origin", "http://a:1"),
            ("sec-fetch-site", "same-site")
        ])));
    }

    #[test]
    fn fields_keep_their_order_and_decode() {
        let form = FormFields::parse(b"a=1&b=x+y&a=2&c=%3C");
        assert_eq!(form.get("a"), Some("1"));
        assert_eq!(form.all("a").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(form.text("b"), "x y");
        assert_eq!(form.text("c"), "<");
        assert_eq!(form.text("missing"), "");
    }
}
