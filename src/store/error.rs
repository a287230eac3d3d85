//! Why a store call failed: the storage itself, or a rule of the domain, wrapped.

use crate::domain::error::DomainError;
use crate::domain::target::UpdateError;

/// Why a store call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// A rule said no (the planner the backend called); nothing was written.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// The database cannot be reached or is too busy; the caller may retry.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the detail is for the log, never for the client.
    #[error("storage failure: {0}")]
    Internal(String),
}

impl From<UpdateError> for StoreError {
    fn from(e: UpdateError) -> StoreError {
        StoreError::Domain(e.into())
    }
}
