//! The evidence a public request leaves on its event: the client's address (the TCP peer;
//! trusted proxies are not looked through here), its `User-Agent`, and for a form the page
//! it was on (`Referer`, else `Origin`). Each value is cut to a sane length.

use crate::domain::confirmation::RequestEvidence;
use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderMap, header};
use std::net::SocketAddr;

/// Longest header value kept as evidence.
const MAX_CHARS: usize = 512;

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    let value = headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.chars().take(MAX_CHARS).collect())
}

/// The client's address, as the connection shows it.
pub fn client_ip(extensions: &Extensions) -> Option<String> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string())
}

/// The evidence of a request from `source`.
pub fn evidence(source: &str, headers: &HeaderMap, extensions: &Extensions) -> RequestEvidence {
    RequestEvidence {
        source: source.to_owned(),
        ip: client_ip(extensions),
        user_agent: header_text(headers, header::USER_AGENT),
        page_url: None,
    }
}

/// The evidence of a sign-up form post, with the page it came from.
pub fn form_evidence(headers: &HeaderMap, extensions: &Extensions) -> RequestEvidence {
    RequestEvidence {
        page_url: header_text(headers, header::REFERER)
            .or_else(|| header_text(headers, header::ORIGIN)),
        ..evidence("form", headers, extensions)
    }
}
