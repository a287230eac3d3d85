//! The one HTTP client of the deliverer: no redirects, no proxy, a 15 s limit per attempt,
//! TLS on rustls (ring) with the system's roots, and a resolver that refuses a name if any of its
//! addresses is not public (`domain::webhook_address`), so the connection goes only to an
//! address that was checked (DNS can change between creation and delivery, and between
//! two deliveries). Addresses written as IP literals are checked before sending.

use crate::background::Background;
use crate::domain::webhook_address::refusal;
use bytes::Bytes;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::{StatusCode, Url};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a receiver has to answer (api.md §6).
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// How much of an answer's body is kept.
pub const RESPONSE_KEPT_BYTES: usize = 1024;

/// What one attempt got.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status, if the receiver answered.
    pub status: Option<StatusCode>,
    /// Why there is no (acceptable) answer.
    pub error: Option<String>,
    /// The first 1 KiB of the body, as text.
    pub body: String,
    /// How long it took.
    pub duration: Duration,
}

impl Answer {
    /// A 2xx: the message is accepted.
    pub fn accepted(&self) -> bool {
        self.status.is_some_and(|s| s.is_success())
    }
}

/// Resolves names and refuses any whose addresses are not all public.
struct CheckedResolver {
    allow_private: bool,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if !allow_private {
                check_addresses(&host, addrs.iter().map(SocketAddr::ip))?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// An error naming the first refused address, if any.
pub fn check_addresses(
    host: &str,
    addrs: impl IntoIterator<Item = IpAddr>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    for ip in addrs {
        if let Some(why) = refusal(ip) {
            return Err(format!("{host} resolves to {ip}, {why}; refused").into());
        }
    }
    Ok(())
}

/// The deliverer's client; its requests run on a [`Background`] thread.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    allow_private: bool,
    background: Arc<Background>,
}

impl Sender {
    /// A client; `allow_private` turns the address check off (development and tests).
    /// Connections are kept alive between messages: up to `idle_per_host` of one host
    /// (one per worker that may post to it at once), so endpoints on the same host do not
    /// open a connection per message.
    pub fn new(allow_private: bool, idle_per_host: usize) -> anyhow::Result<Sender> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(ATTEMPT_TIMEOUT)
            .connect_timeout(ATTEMPT_TIMEOUT)
            .pool_idle_timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(idle_per_host.max(1))
            .user_agent(concat!("purrlist-webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(CheckedResolver { allow_private }))
            .build()?;
        Ok(Sender {
            client,
            allow_private,
            background: Arc::new(Background::start("webhook-http")?),
        })
    }

    /// Starts `work` on the sending thread (the deliverer's loop runs there).
    pub fn spawn<T: Send + 'static>(
        &self,
        work: impl std::future::Future<Output = T> + Send + 'static,
    ) -> tokio::task::JoinHandle<T> {
        self.background.spawn(work)
    }

    /// Posts one message and reads at most 1 KiB of the answer, all within the time limit,
    /// on the background thread.
    pub async fn post(
        &self,
        url: &str,
        headers: Vec<(&'static str, String)>,
        body: Bytes,
    ) -> Answer {
        let started = Instant::now();
        let (me, url) = (self.clone(), url.to_owned());
        let result = self
            .background
            .run(async move {
                tokio::time::timeout(ATTEMPT_TIMEOUT, me.post_inner(&url, &headers, body))
                    .await
                    .unwrap_or_else(|_| Err("timed out after 15 s".to_owned()))
            })
            .await
            .unwrap_or_else(|| Err("the webhook thread stopped".to_owned()));
        let (status, error, body) = match result {
            Ok((status, body)) => {
                let error = (!status.is_success()).then(|| format!("status {}", status.as_u16()));
                (Some(status), error, body)
            }
            Err(e) => (None, Some(e), String::new()),
        };
        Answer {
            status,
            error,
            body,
            duration: started.elapsed(),
        }
    }

    async fn post_inner(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<(StatusCode, String), String> {
        let parsed = Url::parse(url).map_err(|e| format!("bad url: {e}"))?;
        if !self.allow_private
            && let Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) = parsed.host()
        {
            let ip = host_ip(&parsed).ok_or("bad host")?;
            check_addresses(&ip.to_string(), [ip]).map_err(|e| e.to_string())?;
        }
        let mut request = self
            .client
            .post(parsed)
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let mut response = request.body(body).send().await.map_err(describe)?;
        let status = response.status();
        let mut kept = Vec::new();
        while kept.len() < RESPONSE_KEPT_BYTES {
            match response.chunk().await {
                Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
                _ => break,
            }
        }
        kept.truncate(RESPONSE_KEPT_BYTES);
        Ok((status, String::from_utf8_lossy(&kept).into_owned()))
    }
}

/// The IP of a URL whose host is an IP literal.
pub fn host_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// An error with its causes, which reqwest keeps in the source chain.
fn describe(e: reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Checks a URL a client gives for an endpoint: `http` or `https`, a host, no user or
/// password, at most 2048 characters, and (unless private targets are allowed) a host that
/// is not, or does not resolve to, a refused address. A name that does not resolve now is
/// accepted: it is checked again at every delivery.
pub async fn check_target(url: &str, allow_private: bool) -> Result<String, String> {
    if url.chars().count() > crate::domain::webhooks::MAX_URL_CHARS {
        return Err("`url` is longer than 2048 characters.".into());
    }
    let parsed = Url::parse(url.trim()).map_err(|e| format!("`url` is not a URL: {e}."))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("`url` must be an http:// or https:// URL.".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("`url` may not carry a user name or password.".into());
    }
    let Some(host) = parsed.host_str().filter(|h| !h.is_empty()) else {
        return Err("`url` needs a host.".into());
    };
    if !allow_private {
        let refused = |e: Box<dyn std::error::Error + Send + Sync>| {
            format!(
                "`url` points at a private or reserved address ({e}); webhooks go to public addresses only."
            )
        };
        match host_ip(&parsed) {
            Some(ip) => check_addresses(host, [ip]).map_err(refused)?,
            None => {
                let port = parsed.port_or_known_default().unwrap_or(443);
                let lookup = tokio::net::lookup_host((host, port));
                if let Ok(Ok(addrs)) = tokio::time::timeout(Duration::from_secs(5), lookup).await {
                    check_addresses(host, addrs.map(|a| a.ip())).map_err(refused)?;
                }
            }
        }
    }
    Ok(url.trim().to_owned())
}
