//! Why the domain refuses a read or a write: answers for the client (404, 409, 400, 412,
//! 403), never a storage failure. Stores pass them on wrapped in `StoreError::Domain`.

use super::bulk::ItemError;
use super::custom_fields::CustomFieldsError;
use super::suppression::SuppressionReason;
use super::target::UpdateError;

/// A rule of purrlist said no; nothing was written.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DomainError {
    /// No such contact in a workspace the caller may use.
    #[error("contact not found")]
    ContactNotFound,
    /// Another contact of the workspace already has this normalised email.
    #[error("email already taken in this workspace")]
    EmailTaken,
    /// The merged custom_fields break a limit.
    #[error("invalid custom_fields: {0}")]
    InvalidCustomFields(CustomFieldsError),
    /// A bulk request had failing items; nothing was written.
    #[error("{} bulk item(s) failed", .0.len())]
    BulkRejected(Vec<ItemError>),
    /// The contact changed since the version the client named (`If-Match`).
    #[error("precondition failed")]
    PreconditionFailed,
    /// A keyset cursor (`after=<contact id>`) names no contact of the workspace listed
    /// (`domain::list_position`).
    #[error("the cursor names no contact of this workspace")]
    InvalidCursor,
    /// A workspace named in the call does not exist.
    #[error("unknown workspace {0}")]
    UnknownWorkspace(String),
    /// The write would subscribe a suppressed address (or bring back an erased one)
    /// without the override (`domain::suppression`).
    #[error("the address is suppressed ({})", .0.as_str())]
    Suppressed(SuppressionReason),
}

impl From<UpdateError> for DomainError {
    fn from(e: UpdateError) -> DomainError {
        match e {
            UpdateError::EmailTaken => DomainError::EmailTaken,
            UpdateError::CustomFields(e) => DomainError::InvalidCustomFields(e),
        }
    }
}
