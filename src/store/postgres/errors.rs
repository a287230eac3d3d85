//! Driver errors to `StoreError`: lost connections, restarts and timeouts are 503s, a
//! clash on the per-workspace email index is `EmailTaken`, anything else is internal.

use crate::domain::error::DomainError;
use crate::store::StoreError;
use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;

/// The unique index that keeps one normalised email per workspace.
pub const EMAIL_INDEX: &str = "contacts_workspace_email";

/// Whether a transaction lost a race it may win on a second try.
pub fn is_retryable(e: &tokio_postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(&SqlState::T_R_SERIALIZATION_FAILURE) | Some(&SqlState::T_R_DEADLOCK_DETECTED)
    ) || is_email_clash(e)
}

/// A unique violation on the email index.
pub fn is_email_clash(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        db.code() == &SqlState::UNIQUE_VIOLATION && db.constraint() == Some(EMAIL_INDEX)
    })
}

/// Maps a driver error; the unique violation on the email index becomes `EmailTaken`.
pub fn map_pg_error(e: tokio_postgres::Error) -> StoreError {
    if is_email_clash(&e) {
        return DomainError::EmailTaken.into();
    }
    match e.as_db_error() {
        Some(db) => {
            let code = db.code().code();
            // 08: connection, 28: login refused (role disabled, password changed), 3D000: the
            // database is gone, 53: resources, 55P03: lock timeout, 57: shutdown/cancel/starting
            // up, 58: I/O, 40: lost races. The database's state, never a bug of ours: 503.
            const UNAVAILABLE_CLASSES: [&str; 6] = ["08", "28", "40", "53", "57", "58"];
            if UNAVAILABLE_CLASSES
                .iter()
                .any(|class| code.starts_with(class))
                || ["25P03", "3D000", "55P03"].contains(&code)
            {
                StoreError::Unavailable(format!("PostgreSQL: {}: {}", code, db.message()))
            } else {
                StoreError::Internal(format!("PostgreSQL: {}: {}", code, db.message()))
            }
        }
        None if is_programming_error(&e) => StoreError::Internal(format!("PostgreSQL: {e}")),
        // Closed connections, I/O, connect failures, timeouts.
        None => StoreError::Unavailable(format!("PostgreSQL: {e}")),
    }
}

/// Errors in our own use of the driver (types, columns), never the database's state.
fn is_programming_error(e: &tokio_postgres::Error) -> bool {
    let text = e.to_string();
    [
        "error serializing",
        "error deserializing",
        "invalid column",
        "query returned",
        "expected ",
        "invalid configuration",
        "invalid connection string",
    ]
    .iter()
    .any(|prefix| text.starts_with(prefix))
}

/// A pool that cannot hand out a connection in time means the database is not answering.
pub fn map_pool_error(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => map_pg_error(e),
        other => StoreError::Unavailable(format!("PostgreSQL pool: {other}")),
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> StoreError {
        map_pg_error(e)
    }
}
