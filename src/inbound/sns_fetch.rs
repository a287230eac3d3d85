//! The SNS side's I/O: fetching a signing certificate (`SigningCertURL`) and confirming a
//! subscription (`SubscribeURL`). Both URLs come from the message, so both are checked
//! before anything is fetched: `https` on a host `sns.<region>.amazonaws.com` (or
//! `.amazonaws.com.cn`), no credentials, no other port; only tests relax that
//! (`InboundSettings::sns_any_host_for_tests`). One client: no redirects, no proxy, 10 s.

use super::InboundSettings;
use super::sns_signature::{SignatureError, SigningCertificate};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use url::Url;

/// How long one fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest certificate document read.
const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;
/// Certificates kept; SNS signs with a handful, so more means someone is probing.
const MAX_CACHED: usize = 32;

/// Why a fetch did not give what was needed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL is not one SNS would use.
    #[error("{0}")]
    Refused(String),
    /// The fetch failed or the answer was not a success.
    #[error("fetching {url} failed: {reason}")]
    Failed {
        /// What was fetched (no secrets: SNS URLs carry only the topic and token).
        url: String,
        /// Why.
        reason: String,
    },
    /// The certificate could not be read.
    #[error(transparent)]
    Certificate(#[from] SignatureError),
}

/// Signing certificates already fetched, by URL (shared by every request of a server).
#[derive(Debug, Clone, Default)]
pub struct CertificateCache(Arc<Mutex<HashMap<String, SigningCertificate>>>);

impl CertificateCache {
    fn get(&self, url: &str) -> Option<SigningCertificate> {
        self.0.lock().ok().and_then(|cache| cache.get(url).cloned())
    }

    fn put(&self, url: &str, certificate: SigningCertificate) {
        if let Ok(mut cache) = self.0.lock() {
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
            cache.insert(url.to_owned(), certificate);
        }
    }
}

/// Whether `host` is an SNS endpoint: `sns.<region>.amazonaws.com` or `….amazonaws.com.cn`.
pub fn is_sns_host(host: &str) -> bool {
    let rest = host
        .strip_suffix(".amazonaws.com")
        .or_else(|| host.strip_suffix(".amazonaws.com.cn"));
    let Some(region) = rest.and_then(|r| r.strip_prefix("sns.")) else {
        return false;
    };
    !region.is_empty()
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// `raw` as a URL SNS may send us to, or why not.
pub fn checked_url(raw: &str, any_host_for_tests: bool) -> Result<Url, FetchError> {
    let refused = |why: &str| FetchError::Refused(format!("{why}: {raw:?}"));
    let url = Url::parse(raw).map_err(|_| refused("not a URL"))?;
    if any_host_for_tests {
        return match url.scheme() {
            "http" | "https" => Ok(url),
            _ => Err(refused("not an http(s) URL")),
        };
    }
    if url.scheme() != "https" {
        return Err(refused("SNS URLs must be https"));
    }
    if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
        return Err(refused("SNS URLs carry no credentials or port"));
    }
    match url.host_str() {
        Some(host) if is_sns_host(host) => Ok(url),
        _ => Err(refused(
            "not an Amazon SNS host (sns.<region>.amazonaws.com)",
        )),
    }
}

fn client() -> Result<&'static reqwest::Client, FetchError> {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client);
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| FetchError::Failed {
            url: String::new(),
            reason: e.to_string(),
        })?;
    Ok(CLIENT.get_or_init(|| client))
}

/// GETs `url` and returns at most `limit` bytes of a 2xx answer.
async fn fetch(url: Url, limit: usize) -> Result<Vec<u8>, FetchError> {
    let shown = format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or(""),
        url.path()
    );
    let failed = |reason: String| FetchError::Failed {
        url: shown.clone(),
        reason,
    };
    let mut response = client()?
        .get(url)
        .send()
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("status {}", response.status())));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
        if body.len() + chunk.len() > limit {
            return Err(failed(format!("answer over {limit} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The certificate at `SigningCertURL`, from the cache or fetched.
pub async fn certificate(
    settings: &InboundSettings,
    raw_url: &str,
) -> Result<SigningCertificate, FetchError> {
    let url = checked_url(raw_url, settings.sns_any_host_for_tests)?;
    if let Some(certificate) = settings.certificates.get(url.as_str()) {
        return Ok(certificate);
    }
    let pem = fetch(url.clone(), MAX_CERTIFICATE_BYTES).await?;
    let certificate = SigningCertificate::from_pem(&pem)?;
    settings.certificates.put(url.as_str(), certificate.clone());
    Ok(certificate)
}

/// Confirms a subscription by fetching its `SubscribeURL` (SNS answers with XML we do not need).
pub async fn confirm_subscription(
    settings: &InboundSettings,
    raw_url: &str,
) -> Result<(), FetchError> {
    let url = checked_url(raw_url, settings.sns_any_host_for_tests)?;
    fetch(url, MAX_CERTIFICATE_BYTES).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_sns_hosts_pass_in_production() {
        let ok = |u: &str| checked_url(u, false).is_ok();
        assert!(ok(
            "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem"
        ));
        assert!(ok("https://sns.cn-north-1.amazonaws.com.cn/x.pem"));
        assert!(!ok("http://sns.us-east-1.amazonaws.com/x.pem"));
        assert!(!ok(
            "https://sns.us-east-1.amazonaws.com.evil.example/x.pem"
        ));
        assert!(!ok("https://evil.example/sns.us-east-1.amazonaws.com"));
        assert!(!ok("https://s3.amazonaws.com/x.pem"));
        assert!(!ok("https://sns.us-east-1.amazonaws.com:8443/x.pem"));
        assert!(!ok("https://user@sns.us-east-1.amazonaws.com/x.pem"));
        assert!(checked_url("http://127.0.0.1:9/x.pem", true).is_ok());
        assert!(checked_url("file:///etc/passwd", true).is_err());
    }
}
