//! `ApiError`: every error the API returns, in the one JSON envelope. The codes, their
//! statuses and default messages are the registry in `codes`; what each store and domain
//! error becomes is `mapping`.

mod codes;
mod mapping;

pub use codes::{ErrorCode, error_codes};
pub use mapping::bulk_rejected;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The error envelope: `{"code", "message", "field"?, "details"?}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable, snake_case code; the list is in the API reference.
    #[schema(value_type = String, example = "invalid_email")]
    pub code: ErrorCode,
    /// A sentence for a person.
    pub message: String,
    /// The one field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For bulk requests: every failing item by index.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<ErrorDetail>>,
}

/// One failing item of a bulk request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Position of the item in `contacts`.
    pub index: usize,
    /// The field at fault.
    pub field: String,
    /// A stable code, as in the envelope.
    #[schema(value_type = String)]
    pub code: ErrorCode,
    /// A sentence for a person.
    pub message: String,
}

/// An error answer: the envelope, and (for 5xx) the cause to log. Boxed, so a
/// `Result<_, ApiError>` stays one pointer wide on the happy path.
#[derive(Debug)]
pub struct ApiError(Box<ErrorParts>);

#[derive(Debug)]
struct ErrorParts {
    body: ErrorBody,
    cause: Option<String>,
    retry_after: Option<u64>,
}

impl From<ErrorCode> for ApiError {
    /// The code with its default message.
    fn from(code: ErrorCode) -> ApiError {
        ApiError::new(code, code.message())
    }
}

impl ApiError {
    /// An error with a code and a message more precise than the code's default.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError(Box::new(ErrorParts {
            body: ErrorBody {
                code,
                message: message.into(),
                field: None,
                details: None,
            },
            cause: None,
            retry_after: None,
        }))
    }

    /// Names the field at fault.
    pub fn with_field(mut self, field: impl Into<String>) -> ApiError {
        self.0.body.field = Some(field.into());
        self
    }

    /// Adds `Retry-After: seconds`.
    pub fn with_retry_after(mut self, seconds: u64) -> ApiError {
        self.0.retry_after = Some(seconds);
        self
    }

    /// Keeps `cause` for the log; the client sees only the message.
    pub fn with_cause(mut self, cause: impl Into<String>) -> ApiError {
        self.0.cause = Some(cause.into());
        self
    }

    /// The HTTP status, from the registry.
    pub fn status(&self) -> StatusCode {
        self.0.body.code.status()
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.0.body.code
    }

    /// The envelope as the client gets it.
    pub fn body(&self) -> &ErrorBody {
        &self.0.body
    }

    /// 400 naming a query parameter.
    pub fn bad_parameter(name: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InvalidParameter, message).with_field(name)
    }

    /// 400 naming a malformed header.
    pub fn bad_header(name: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(ErrorCode::InvalidHeader, message).with_field(name)
    }

    /// 401 with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(message: &str) -> ApiError {
        ApiError::new(ErrorCode::Unauthorized, message)
    }

    /// 403 for a workspace the key may not use, or one that does not exist.
    pub fn no_access() -> ApiError {
        ErrorCode::Forbidden.into()
    }

    /// 404 for a contact that does not exist or that the key may not see.
    pub fn contact_not_found() -> ApiError {
        ErrorCode::ContactNotFound.into()
    }

    /// 413 for a body over `limit` bytes.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("The request body is larger than this route accepts ({limit} bytes)."),
        )
    }

    /// 503 after the request time limit; the client may retry.
    pub fn timeout() -> ApiError {
        ApiError::from(ErrorCode::RequestTimeout).with_retry_after(1)
    }

    /// 429 when the key has used up its request budget; `Retry-After` is added by the limiter.
    pub fn rate_limited() -> ApiError {
        ErrorCode::RateLimited.into()
    }

    /// 503 when the server already has as many requests in flight as it allows.
    pub fn overloaded() -> ApiError {
        ApiError::from(ErrorCode::Overloaded).with_retry_after(1)
    }

    /// 500 whose cause is logged, never shown.
    pub fn internal(cause: impl Into<String>) -> ApiError {
        ApiError::from(ErrorCode::InternalError).with_cause(cause)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ErrorParts {
            body,
            cause,
            retry_after,
        } = *self.0;
        let (code, status) = (body.code, body.code.status());
        if let Some(cause) = &cause {
            tracing::error!(code = body.code.as_str(), %cause, "request failed");
        }
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if code == ErrorCode::Unauthorized {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
