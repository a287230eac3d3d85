//! What each store and domain error becomes on the wire, in one place: a new `StoreError`
//! or domain error variant gets its arm here and nowhere else.

use super::{ApiError, ErrorCode, ErrorDetail};
use crate::domain::bulk::ItemError;
use crate::domain::error::DomainError;
use crate::domain::patch_input::{FieldError, FieldErrorKind};
use crate::domain::suppression::Suppressed;
use crate::store::StoreError;

impl From<FieldErrorKind> for ErrorCode {
    fn from(kind: FieldErrorKind) -> ErrorCode {
        match kind {
            FieldErrorKind::Missing => ErrorCode::MissingField,
            FieldErrorKind::InvalidEmail => ErrorCode::InvalidEmail,
            FieldErrorKind::Invalid => ErrorCode::InvalidField,
            FieldErrorKind::InvalidCustomFields => ErrorCode::InvalidCustomFields,
            FieldErrorKind::EmailTaken => ErrorCode::EmailTaken,
            FieldErrorKind::ContactNotFound => ErrorCode::ContactNotFound,
        }
    }
}

impl From<FieldError> for ApiError {
    /// The field's code and message, naming the field.
    fn from(e: FieldError) -> ApiError {
        ApiError::new(e.kind.into(), e.message).with_field(e.field)
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> ApiError {
        match e {
            DomainError::ContactNotFound => ApiError::contact_not_found(),
            DomainError::EmailTaken => FieldError::email_taken().into(),
            DomainError::InvalidCustomFields(e) => FieldError::custom_fields(&e).into(),
            DomainError::BulkRejected(items) => bulk_rejected(items),
            DomainError::InvalidCursor => {
                ApiError::from(ErrorCode::InvalidCursor).with_field("after")
            }
            DomainError::PreconditionFailed => ErrorCode::PreconditionFailed.into(),
            DomainError::UnknownWorkspace(_) => ApiError::no_access(),
            DomainError::Suppressed(reason) => {
                ApiError::new(ErrorCode::Suppressed, Suppressed(reason).message())
            }
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Domain(e) => e.into(),
            StoreError::Unavailable(cause) => ApiError::from(ErrorCode::DatabaseUnavailable)
                .with_cause(cause)
                .with_retry_after(1),
            StoreError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

/// 400 listing every failing bulk item.
pub fn bulk_rejected(items: Vec<ItemError>) -> ApiError {
    let count = items.len();
    let mut e = ApiError::new(
        ErrorCode::InvalidContacts,
        format!("{count} of the contacts cannot be applied; nothing was written. See `details`."),
    )
    .with_field("contacts");
    e.0.body.details = Some(
        items
            .into_iter()
            .map(|i| ErrorDetail {
                index: i.index,
                field: i.error.field,
                code: i.error.kind.into(),
                message: i.error.message,
            })
            .collect(),
    );
    e
}
