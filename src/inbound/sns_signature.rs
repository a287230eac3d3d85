//! The SNS signature check: the signing certificate (PEM, as `SigningCertURL` serves it)
//! read into its RSA public key and validity, and the message's `Signature` checked over
//! [`SnsMessage::string_to_sign`] with SHA1withRSA (`SignatureVersion` 1) or
//! SHA256withRSA (2). Where the certificate may come from is `sns_fetch`'s rule.

use super::ses::{SignatureVersion, SnsMessage};
use crate::domain::timestamp::Timestamp;
use base64::Engine;
use ring::signature::{
    RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY, RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey,
};
use x509_cert::Certificate;
use x509_cert::der::Decode;

/// The OID of an RSA public key (rsaEncryption).
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// What the check needs of a signing certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningCertificate {
    /// The RSA public key (PKCS#1 `RSAPublicKey`, DER).
    public_key: Vec<u8>,
    /// Valid from (seconds since the epoch).
    not_before: u64,
    /// Valid until (seconds since the epoch).
    not_after: u64,
}

/// Why a message's signature is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The certificate could not be read, or is not an RSA certificate.
    #[error("the signing certificate cannot be read: {0}")]
    Certificate(String),
    /// The certificate is not valid now.
    #[error("the signing certificate is not valid at this time")]
    Expired,
    /// The signature does not match.
    #[error("the signature does not match the message")]
    Mismatch,
}

impl SigningCertificate {
    /// Reads the first certificate of a PEM document.
    pub fn from_pem(pem: &[u8]) -> Result<SigningCertificate, SignatureError> {
        let unreadable = |why: &str| SignatureError::Certificate(why.to_owned());
        let text = std::str::from_utf8(pem).map_err(|_| unreadable("not text"))?;
        let begin = "-----BEGIN CERTIFICATE-----";
        let start = text
            .find(begin)
            .ok_or_else(|| unreadable("no PEM certificate"))?
            + begin.len();
        let end = text[start..]
            .find("-----END CERTIFICATE-----")
            .ok_or_else(|| unreadable("unterminated PEM certificate"))?;
        let base64: String = text[start..start + end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(base64)
            .map_err(|_| unreadable("bad base64"))?;
        SigningCertificate::from_der(&der)
    }

    /// Reads a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<SigningCertificate, SignatureError> {
        let cert = Certificate::from_der(der)
            .map_err(|e| SignatureError::Certificate(format!("not an X.509 certificate ({e})")))?;
        let tbs = &cert.tbs_certificate;
        let key_info = &tbs.subject_public_key_info;
        if key_info.algorithm.oid.to_string() != RSA_ENCRYPTION {
            return Err(SignatureError::Certificate("not an RSA key".to_owned()));
        }
        Ok(SigningCertificate {
            public_key: key_info.subject_public_key.raw_bytes().to_vec(),
            not_before: tbs.validity.not_before.to_unix_duration().as_secs(),
            not_after: tbs.validity.not_after.to_unix_duration().as_secs(),
        })
    }

    /// Checks `message`'s signature at `now`.
    pub fn verify(&self, message: &SnsMessage, now: Timestamp) -> Result<(), SignatureError> {
        let seconds = u64::try_from(now.unix_seconds()).unwrap_or(0);
        if seconds < self.not_before || seconds > self.not_after {
            return Err(SignatureError::Expired);
        }
        let algorithm = match message.signature_version {
            SignatureVersion::Sha1 => &RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            SignatureVersion::Sha256 => &RSA_PKCS1_2048_8192_SHA256,
        };
        UnparsedPublicKey::new(algorithm, &self.public_key)
            .verify(message.string_to_sign().as_bytes(), &message.signature)
            .map_err(|_| SignatureError::Mismatch)
    }
}
