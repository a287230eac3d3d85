//! `ApiError`: every error the API returns, mapped to the one JSON envelope here.
//! The registry of codes is `docs/api.md`; a test checks each code below is listed there.

use crate::domain::bulk::ItemError;
use crate::domain::patch_input::FieldError;
use crate::store::StoreError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The error envelope: `{"code", "message", "field"?, "details"?}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable, snake_case code; the list is in the API reference.
    #[schema(example = "invalid_email")]
    pub code: &'static str,
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
    pub code: &'static str,
    /// A sentence for a person.
    pub message: String,
}

/// An error answer: status, envelope, and (for 5xx) the cause to log. Boxed, so a
/// `Result<_, ApiError>` stays one pointer wide on the happy path.
#[derive(Debug)]
pub struct ApiError(Box<ErrorParts>);

#[derive(Debug)]
struct ErrorParts {
    status: StatusCode,
    body: ErrorBody,
    cause: Option<String>,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError(Box::new(ErrorParts {
            status,
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

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.0.body.code
    }

    /// 400 for a bad field of a write.
    pub fn from_field(e: FieldError) -> ApiError {
        let status = if e.code == "email_taken" {
            StatusCode::CONFLICT
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError::new(status, e.code, e.message).with_field(e.field)
    }

    /// 400 naming a query parameter.
    pub fn bad_parameter(name: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", message).with_field(name)
    }

    /// 401 with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(message: &str) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403 for a workspace the key may not use, or one that does not exist.
    pub fn no_access() -> ApiError {
        ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "You do not have access to this resource.",
        )
    }

    /// 404 for a contact that does not exist or that the key may not see.
    pub fn contact_not_found() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "contact_not_found",
            "No contact with this id exists.",
        )
    }

    /// 503 after the request time limit; the client may retry.
    pub fn timeout() -> ApiError {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "request_timeout",
            "The request took too long and was stopped; it may or may not have been applied. Retry it.",
        );
        e.0.retry_after = Some(1);
        e
    }

    /// 429 when the key has used up its request budget; `Retry-After` is added by the limiter.
    pub fn rate_limited() -> ApiError {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "This API key is sending requests too fast. Retry after the `Retry-After` seconds.",
        )
    }

    /// 503 when the server already has as many requests in flight as it allows.
    pub fn overloaded() -> ApiError {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "The server is busy with too many requests; nothing was done. Retry shortly.",
        );
        e.0.retry_after = Some(1);
        e
    }

    /// 500 whose cause is logged, never shown.
    pub fn internal(cause: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side; it has been logged.",
        );
        e.0.cause = Some(cause.into());
        e
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::ContactNotFound => ApiError::contact_not_found(),
            StoreError::EmailTaken => ApiError::new(
                StatusCode::CONFLICT,
                "email_taken",
                "Another contact in this workspace already has this email.",
            )
            .with_field("email"),
            StoreError::InvalidCustomFields(e) => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_custom_fields",
                e.to_string(),
            )
            .with_field("custom_fields"),
            StoreError::BulkRejected(items) => bulk_rejected(items),
            StoreError::PreconditionFailed => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                "The contact changed since the version named in `If-Match`; read it again and retry.",
            ),
            StoreError::UnknownWorkspace(_) => ApiError::no_access(),
            StoreError::Unavailable(cause) => {
                let mut e = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "database_unavailable",
                    "The database is not answering right now; nothing was written. Retry shortly.",
                );
                e.0.cause = Some(cause);
                e.0.retry_after = Some(1);
                e
            }
            StoreError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

/// 400 listing every failing bulk item.
pub fn bulk_rejected(items: Vec<ItemError>) -> ApiError {
    let count = items.len();
    let mut e = ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_contacts",
        format!("{count} of the contacts cannot be applied; nothing was written. See `details`."),
    )
    .with_field("contacts");
    e.0.body.details = Some(
        items
            .into_iter()
            .map(|i| ErrorDetail {
                index: i.index,
                field: i.error.field,
                code: i.error.code,
                message: i.error.message,
            })
            .collect(),
    );
    e
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let ErrorParts {
            status,
            body,
            cause,
            retry_after,
        } = *self.0;
        if let Some(cause) = &cause {
            tracing::error!(code = body.code, %cause, "request failed");
        }
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Every code this module can produce, for the registry test and the docs.
pub const ERROR_CODES: &[&str] = &[
    "invalid_json",
    "invalid_body",
    "unsupported_media_type",
    "payload_too_large",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "contact_not_found",
    "missing_field",
    "invalid_email",
    "invalid_field",
    "invalid_custom_fields",
    "invalid_parameter",
    "invalid_contacts",
    "email_taken",
    "precondition_failed",
    "invalid_header",
    "idempotency_key_reused",
    "idempotency_key_in_flight",
    "rate_limited",
    "too_many_connections",
    "request_timeout",
    "overloaded",
    "database_unavailable",
    "internal_error",
];

#[cfg(test)]
mod tests {
    use super::ERROR_CODES;

    #[test]
    fn every_error_code_is_in_the_api_reference_table() {
        let reference = include_str!("../../docs/api.md");
        for code in ERROR_CODES {
            assert!(
                reference.contains(&format!("| `{code}` |")),
                "{code} is missing from the error table in docs/api.md"
            );
        }
    }
}
