//! Pure rules of purrlist: no I/O, no async, no HTTP or SQL.
//!
//! Types here are parsed, not checked: holding an [`email::EmailAddress`] or a
//! [`contact::ContactPatch`] means the input was already validated.

pub mod activity;
pub mod api_key;
pub mod bulk;
pub mod confirmation;
pub mod contact;
pub mod contact_export;
pub mod csv_cells;
pub mod csv_columns;
pub mod custom_fields;
pub mod email;
pub mod error;
pub mod events;
pub mod evidence;
pub mod evidence_history;
pub mod evidence_proxies;
pub mod form_key;
pub mod idempotency;
pub mod ids;
pub mod import_format;
pub mod import_job;
pub mod import_plan;
pub mod list_position;
pub mod patch_input;
pub mod session;
pub mod suppression;
pub mod target;
pub mod timestamp;
pub mod webhook_address;
pub mod webhook_payload;
pub mod webhook_signature;
pub mod webhooks;
pub mod workspace;
