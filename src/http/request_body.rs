//! Reading a request body, for every route that reads one: within a time limit (so a slow
//! body cannot hold a request slot for long), within a size limit that holds for the bytes
//! sent and again for the body after decoding its `Content-Encoding` (gzip, deflate, br;
//! decoding stops one byte past the limit, so a small bomb cannot grow), and never
//! handing on encoded bytes as if they were plain.

use crate::http::error::{ApiError, ErrorCode};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use std::io::Read;
use std::time::Duration;

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Over the route's limit, as sent or once decoded.
    TooLarge(usize),
    /// Not complete within the body-read time limit.
    TimedOut(Duration),
    /// A `Content-Encoding` purrlist does not decode (named as sent).
    UnsupportedEncoding(String),
    /// The body is not valid data of its `Content-Encoding` (named).
    Undecodable(&'static str),
    /// The connection failed while the body was being read.
    Unreadable,
}

/// The codings purrlist decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Identity,
    Gzip,
    Deflate,
    Brotli,
}

/// The body's one `Content-Encoding`; `identity` and empty entries count as none.
fn coding(headers: &HeaderMap) -> Result<Coding, BodyError> {
    let mut codings = Vec::new();
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let Ok(text) = value.to_str() else {
            return Err(BodyError::UnsupportedEncoding(
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            ));
        };
        codings.extend(
            text.split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .filter(|c| !c.is_empty() && c != "identity"),
        );
    }
    match codings.as_slice() {
        [] => Ok(Coding::Identity),
        [one] => match one.as_str() {
            "gzip" | "x-gzip" => Ok(Coding::Gzip),
            "deflate" => Ok(Coding::Deflate),
            "br" => Ok(Coding::Brotli),
            _ => Err(BodyError::UnsupportedEncoding(one.clone())),
        },
        _ => Err(BodyError::UnsupportedEncoding(codings.join(", "))),
    }
}

/// The body's bytes as sent, within `limit` and `timeout`; its encoding is not looked at.
pub async fn read_raw(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(BodyError::TimedOut(timeout)),
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(err) = source {
                if err.is::<http_body_util::LengthLimitError>() {
                    return Err(BodyError::TooLarge(limit));
                }
                source = err.source();
            }
            Err(BodyError::Unreadable)
        }
    }
}

/// The body, decoded, within `limit` (as sent and as decoded) and `timeout`.
pub async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, BodyError> {
    let coding = coding(headers)?;
    let raw = read_raw(headers, body, limit, timeout).await?;
    if coding == Coding::Identity {
        return Ok(raw);
    }
    // Up to the bulk limit of output: CPU work that must not hold up other requests.
    tokio::task::spawn_blocking(move || decode(coding, raw, limit))
        .await
        .map_err(|_| BodyError::Unreadable)?
}

fn decode(coding: Coding, raw: Bytes, limit: usize) -> Result<Bytes, BodyError> {
    let (name, reader): (&'static str, Box<dyn Read + '_>) = match coding {
        Coding::Identity => return Ok(raw),
        Coding::Gzip => (
            "gzip",
            Box::new(flate2::read::MultiGzDecoder::new(&raw[..])),
        ),
        // HTTP's "deflate" is the zlib format; some clients send raw deflate, so take both.
        Coding::Deflate if is_zlib(&raw) => (
            "deflate",
            Box::new(flate2::read::ZlibDecoder::new(&raw[..])),
        ),
        Coding::Deflate => (
            "deflate",
            Box::new(flate2::read::DeflateDecoder::new(&raw[..])),
        ),
        Coding::Brotli => (
            "br",
            Box::new(brotli_decompressor::Decompressor::new(&raw[..], 4096)),
        ),
    };
    let mut decoded = Vec::new();
    reader
        .take(limit as u64 + 1)
        .read_to_end(&mut decoded)
        .map_err(|_| BodyError::Undecodable(name))?;
    if decoded.len() > limit {
        return Err(BodyError::TooLarge(limit));
    }
    Ok(Bytes::from(decoded))
}

/// A zlib stream header (RFC 1950): method 8, and a check sum over the first two bytes.
fn is_zlib(raw: &[u8]) -> bool {
    matches!(raw, [cmf, flg, ..] if cmf & 0x0f == 8 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0)
}

impl BodyError {
    /// The registry's code for this failure (its HTTP status comes with it).
    pub fn code(&self) -> ErrorCode {
        match self {
            BodyError::TooLarge(_) => ErrorCode::PayloadTooLarge,
            BodyError::TimedOut(_) => ErrorCode::BodyTimeout,
            BodyError::UnsupportedEncoding(_) => ErrorCode::UnsupportedMediaType,
            BodyError::Undecodable(_) => ErrorCode::InvalidBody,
            BodyError::Unreadable => ErrorCode::InvalidJson,
        }
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        self.code().status()
    }

    /// A sentence for a person.
    pub fn message(&self) -> String {
        match self {
            BodyError::TooLarge(limit) => format!(
                "The request body is larger than this route accepts ({limit} bytes, as sent and once decoded)."
            ),
            BodyError::TimedOut(timeout) => format!(
                "The request body did not arrive within {} seconds; send it in one go and retry.",
                timeout.as_secs_f64()
            ),
            BodyError::UnsupportedEncoding(coding) => format!(
                "`Content-Encoding: {coding}` is not supported; send the body as is, or with one of gzip, deflate or br."
            ),
            BodyError::Undecodable(coding) => format!(
                "The request body is not valid {coding} data, though `Content-Encoding` says it is."
            ),
            BodyError::Unreadable => "The request body could not be read.".to_owned(),
        }
    }
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> ApiError {
        ApiError::new(e.code(), e.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Bytes {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(data).expect("write");
        Bytes::from(encoder.finish().expect("finish"))
    }

    #[test]
    fn a_small_bomb_stops_one_byte_past_the_limit() {
        let bomb = gzip(&vec![b' '; 10 * 1024 * 1024]);
        assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
        assert!(matches!(
            decode(Coding::Gzip, bomb, 64 * 1024),
            Err(BodyError::TooLarge(_))
        ));
    }

    #[test]
    fn each_coding_round_trips_and_plain_bytes_under_a_coding_are_refused() {
        let body = br#"{"email": "noto@example.com"}"#;
        assert_eq!(
            &decode(Coding::Gzip, gzip(body), 1024).expect("gzip")[..],
            body
        );
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        zlib.write_all(body).expect("write");
        let zlib = Bytes::from(zlib.finish().expect("finish"));
        assert_eq!(
            &decode(Coding::Deflate, zlib, 1024).expect("zlib")[..],
            body
        );
        for coding in [Coding::Gzip, Coding::Deflate, Coding::Brotli] {
            assert!(
                decode(coding, Bytes::from_static(body), 1024).is_err(),
                "{coding:?}"
            );
        }
    }

    #[test]
    fn unknown_and_stacked_codings_are_unsupported_and_identity_is_none() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(value));
            coding(&headers)
        };
        assert_eq!(with("identity").ok(), Some(Coding::Identity));
        assert_eq!(with("GZIP").ok(), Some(Coding::Gzip));
        assert!(matches!(with("zstd"), Err(BodyError::UnsupportedEncoding(c)) if c == "zstd"));
        assert!(matches!(
            with("gzip, br"),
            Err(BodyError::UnsupportedEncoding(_))
        ));
    }
}
