//! Pure rules of purrlist: no I/O, no async, no HTTP or SQL.
//!
//! Types here are parsed, not checked: holding an [`email::EmailAddress`] or a
//! [`contact::ContactPatch`] means the input was already validated.

pub mod api_key;
pub mod bulk;
pub mod contact;
pub mod csv_columns;
pub mod custom_fields;
pub mod email;
pub mod events;
pub mod idempotency;
pub mod ids;
pub mod patch_input;
pub mod timestamp;
pub mod workspace;
