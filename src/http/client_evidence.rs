//! The evidence a request brings to the events it writes (docs/consent.md#evidence): the
//! client's address (the socket peer, or `X-Forwarded-For` behind a trusted proxy), its
//! `User-Agent`, and the request id `middleware::observe` gave it.

use crate::domain::evidence::{Evidence, Origin, clean_user_agent};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::middleware::auth::Caller;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header;
use axum::http::request::Parts;
use std::net::{IpAddr, SocketAddr};

/// The id `middleware::observe` gave a request (echoed in `x-request-id`).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// What a request says about where it came from.
#[derive(Debug, Clone, Default)]
pub struct ClientEvidence {
    /// The client's address, when the connection has one.
    pub ip: Option<IpAddr>,
    /// Its `User-Agent`, cleaned and cut (`domain::evidence::clean_user_agent`).
    pub user_agent: Option<String>,
    /// The request id.
    pub request_id: Option<String>,
}

impl ClientEvidence {
    /// The evidence of a write from `source` made by this request.
    pub fn evidence(&self, source: &str) -> Evidence {
        Evidence {
            source: source.to_owned(),
            ip: self.ip,
            user_agent: self.user_agent.clone(),
            request_id: self.request_id.clone(),
            consent: None,
            provider: None,
        }
    }

    /// The origin of a write from `source` by the key that authenticated this request.
    pub fn origin(&self, caller: &Caller, source: &str) -> Origin {
        Origin::new(caller.actor(), self.evidence(source))
    }

    /// Reads the evidence of a request's head.
    pub fn of(parts: &Parts, state: &AppState) -> ClientEvidence {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let forwarded_for = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok());
        ClientEvidence {
            ip: peer.map(|peer| state.trusted_proxies.client_ip(peer, forwarded_for)),
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .and_then(clean_user_agent),
            request_id: parts
                .extensions
                .get::<RequestId>()
                .map(|RequestId(id)| id.clone()),
        }
    }
}

impl FromRequestParts<AppState> for ClientEvidence {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(ClientEvidence::of(parts, state))
    }
}
