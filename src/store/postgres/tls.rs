//! TLS for PostgreSQL connections, with libpq's `sslmode` and `sslrootcert` meanings.
//!
//! tokio-postgres knows `sslmode=disable|prefer|require` and no certificate checks; the
//! checks belong to the TLS connector. So the URL's `sslmode` and `sslrootcert` are read
//! here, `verify-ca` and `verify-full` become `require` for tokio-postgres, and the rustls
//! configuration carries the checks:
//!
//! | sslmode | encrypted | certificate checked |
//! |---|---|---|
//! | `disable` | no | – |
//! | `prefer` (default) | if the server offers TLS | only with `sslrootcert` (chain, not the name) |
//! | `require` | yes, or no connection | only with `sslrootcert` (chain, not the name) |
//! | `verify-ca` | yes | chain to `sslrootcert`, else to the system's roots (where OpenSSL finds them, `SSL_CERT_FILE`/`SSL_CERT_DIR` included) |
//! | `verify-full` | yes | chain as `verify-ca`, and the host name |

use anyhow::{Context, bail};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl TlsMode {
    fn from_driver(mode: SslMode) -> TlsMode {
        match mode {
            SslMode::Disable => TlsMode::Disable,
            SslMode::Prefer => TlsMode::Prefer,
            _ => TlsMode::Require,
        }
    }

    fn parse(value: &str) -> anyhow::Result<TlsMode> {
        Ok(match value {
            "disable" => TlsMode::Disable,
            // libpq's `allow` tries without TLS first; without a fallback here, it is `prefer`.
            "allow" | "prefer" => TlsMode::Prefer,
            "require" => TlsMode::Require,
            "verify-ca" => TlsMode::VerifyCa,
            "verify-full" => TlsMode::VerifyFull,
            other => bail!(
                "sslmode={other} is not known (expected disable, prefer, require, verify-ca or verify-full)"
            ),
        })
    }

    /// What tokio-postgres is told: it only decides whether to ask for TLS.
    pub fn driver_mode(self) -> SslMode {
        match self {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull => SslMode::Require,
        }
    }
}

/// The TLS options of a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsOptions {
    /// `sslmode`, when the URL gives one.
    pub mode: Option<TlsMode>,
    /// `sslrootcert`: a PEM file of the certificates to trust.
    pub root_cert: Option<PathBuf>,
}

/// Takes `sslmode` and `sslrootcert` out of a `postgres://` URL's query; returns the rest
/// of the URL for tokio-postgres and the TLS options. A key=value connection string is
/// left as it is (tokio-postgres reads its `sslmode`, without the verify modes).
pub fn split_url(url: &str) -> anyhow::Result<(String, TlsOptions)> {
    let mut options = TlsOptions {
        mode: None,
        root_cert: None,
    };
    let is_url = url.starts_with("postgres://") || url.starts_with("postgresql://");
    let Some((base, query)) = url.split_once('?').filter(|_| is_url) else {
        return Ok((url.to_owned(), options));
    };
    // The other options go on to tokio-postgres byte for byte, as it decodes them itself.
    let mut kept: Vec<&str> = Vec::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let Some((key, value)) = form_urlencoded::parse(pair.as_bytes()).next() else {
            continue;
        };
        match key.as_ref() {
            "sslmode" => options.mode = Some(TlsMode::parse(&value)?),
            "sslrootcert" => options.root_cert = Some(PathBuf::from(value.as_ref())),
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((url, options))
}

/// The driver's configuration and the TLS connector for a PostgreSQL URL.
pub fn configure(url: &str) -> anyhow::Result<(tokio_postgres::Config, MakeRustlsConnect)> {
    let (url, options) = split_url(url)?;
    let mut config: tokio_postgres::Config = url
        .parse()
        .context("invalid PostgreSQL URL (expected postgres://USER@HOST:PORT/DATABASE)")?;
    let mode = options
        .mode
        .unwrap_or_else(|| TlsMode::from_driver(config.get_ssl_mode()));
    config.ssl_mode(mode.driver_mode());
    Ok((config, connector(mode, options.root_cert.as_ref())?))
}

/// The connector for `mode`: rustls on the ring provider, checking what the mode asks.
fn connector(mode: TlsMode, root_cert: Option<&PathBuf>) -> anyhow::Result<MakeRustlsConnect> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = match (root_cert, mode) {
        (Some(path), _) => Some(Arc::new(roots_from_file(path)?)),
        (None, TlsMode::VerifyCa | TlsMode::VerifyFull) => Some(Arc::new(system_roots()?)),
        (None, _) => None,
    };
    let algorithms = provider.signature_verification_algorithms;
    let chain = match roots {
        Some(roots) => Some(
            WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
                .build()
                .context("cannot build the PostgreSQL certificate verifier")?,
        ),
        None => None,
    };
    let verifier: Arc<dyn ServerCertVerifier> = match chain {
        Some(webpki) if mode == TlsMode::VerifyFull => webpki,
        chain => Arc::new(NameUnchecked { chain, algorithms }),
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("cannot set up TLS for PostgreSQL")?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

fn roots_from_file(path: &PathBuf) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("cannot read sslrootcert {}", path.display()))?;
    for cert in certs {
        let cert = cert.with_context(|| format!("sslrootcert {} is not PEM", path.display()))?;
        roots
            .add(cert)
            .with_context(|| format!("sslrootcert {} holds a bad certificate", path.display()))?;
    }
    if roots.is_empty() {
        bail!("sslrootcert {} holds no certificate", path.display());
    }
    Ok(roots)
}

fn system_roots() -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(found.certs);
    if roots.is_empty() {
        bail!(
            "sslmode=verify-ca/verify-full without sslrootcert needs the system's CA certificates, and none were found; pass sslrootcert=/path/to/ca.pem"
        );
    }
    Ok(roots)
}

/// Every mode but `verify-full`, as libpq: the certificate's name is not compared. With
/// roots (`verify-ca`, or `sslrootcert` given) the chain must lead to one of them; without
/// (`prefer`/`require`) the link is encrypted and the handshake signed by the
/// certificate's key, but whose certificate it is goes unchecked.
#[derive(Debug)]
struct NameUnchecked {
    chain: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for NameUnchecked {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            // webpki checks the name last, so this error means the chain itself is good.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_options_come_out_of_the_url_and_the_rest_stays() {
        let (url, options) = split_url(
            "postgres://u@db:5432/app?sslmode=verify-full&application_name=my%20app&sslrootcert=%2Fetc%2Fca.pem&connect_timeout=3",
        )
        .expect("split");
        assert_eq!(
            url,
            "postgres://u@db:5432/app?application_name=my%20app&connect_timeout=3"
        );
        assert_eq!(options.mode, Some(TlsMode::VerifyFull));
        assert_eq!(options.root_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert_eq!(TlsMode::VerifyFull.driver_mode(), SslMode::Require);
    }

    #[test]
    fn without_tls_options_the_url_is_unchanged() {
        for url in [
            "postgres://u@db/app",
            "postgresql://u@db/app?connect_timeout=3",
            "host=db user=u sslmode=require",
        ] {
            let (same, options) = split_url(url).expect("split");
            assert_eq!(same, url);
            assert_eq!(options.mode, None);
            assert_eq!(options.root_cert, None);
        }
    }

    #[test]
    fn the_driver_is_told_the_mode_and_a_connection_string_keeps_its_own() {
        let (config, _) = configure("postgres://u@db/app").expect("configure");
        assert_eq!(config.get_ssl_mode(), SslMode::Prefer);
        let (config, _) = configure("postgres://u@db/app?sslmode=disable").expect("configure");
        assert_eq!(config.get_ssl_mode(), SslMode::Disable);
        let (config, _) = configure("host=db user=u sslmode=require").expect("configure");
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
        let (config, _) = configure("postgres://u@db/app?sslmode=verify-ca").expect("system roots");
        assert_eq!(config.get_ssl_mode(), SslMode::Require);
    }

    #[test]
    fn an_unknown_sslmode_is_refused_by_name() {
        let error = split_url("postgres://u@db/app?sslmode=verify").expect_err("refused");
        assert!(
            error.to_string().contains("sslmode=verify is not known"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_root_file_is_named() {
        let error =
            configure("postgres://u@db/app?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem")
                .err()
                .expect("refused");
        assert!(
            format!("{error:#}").contains("cannot read sslrootcert /nonexistent/ca.pem"),
            "{error:#}"
        );
    }
}
