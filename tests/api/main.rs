//! The one integration-test binary: the API through real HTTP, and the CLI binary.

#[macro_use]
mod helpers;

mod auth;
mod bad_input;
mod bulk_delete;
mod bulk_errors;
mod bulk_upsert;
mod cli;
mod cli_import;
mod cli_serve;
mod concurrency;
mod conditional;
mod contact_shape;
mod db_digest;
mod events;
mod events_concurrency;
#[path = "../postgres/fresh_database.rs"]
mod fresh_database;
mod idempotency;
mod isolation;
mod limits;
mod list_contacts;
mod protocol;
mod put_contact;
mod put_email;
mod reply;
mod secrets;
mod serial_order;
mod single_contact;
mod unsubscribe;
