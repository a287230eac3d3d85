//! Reading a JSON object body: content type (415), then `request_body` (encoding 415, time
//! 408, size 413), syntax (400, a leading UTF-8 BOM skipped), shape (400).

use crate::http::AppState;
use crate::http::error::{ApiError, ErrorCode};
use crate::http::request_body;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use serde_json::{Map, Value};

/// A JSON object body within the default body limit.
pub struct JsonObject(pub Map<String, Value>);

/// A JSON object body within the bulk route's larger limit.
pub struct BulkJsonObject(pub Map<String, Value>);

impl FromRequest<AppState> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        read_json_object(req, state.limits.body_bytes, state.limits.body_read_timeout)
            .await
            .map(JsonObject)
    }
}

impl FromRequest<AppState> for BulkJsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        read_json_object(
            req,
            state.limits.bulk_body_bytes,
            state.limits.body_read_timeout,
        )
        .await
        .map(BulkJsonObject)
    }
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

async fn read_json_object(
    req: Request,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<Map<String, Value>, ApiError> {
    let (parts, body) = req.into_parts();
    if !is_json(&parts.headers) {
        return Err(ErrorCode::UnsupportedMediaType.into());
    }
    let bytes = request_body::read(&parts.headers, body, limit, timeout)
        .await
        .map_err(ApiError::from)?;
    parse_object(&bytes)
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Parses bytes as one JSON object (after a UTF-8 byte order mark, if there is one), saying where the JSON broke.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    // RFC 8259 §8.1 lets a parser ignore a byte order mark; Windows tools write one.
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::new(
            ErrorCode::InvalidJson,
            "The request body is empty; send a JSON object.",
        ));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ErrorCode::InvalidBody.into()),
        Err(e) => Err(ApiError::new(
            ErrorCode::InvalidJson,
            format!("The request body is not valid JSON: {e}."),
        )),
    }
}
