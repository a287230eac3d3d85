//! The one integration-test binary: the API through real HTTP, and the CLI binary.

#[macro_use]
mod helpers;

mod auth;
mod bad_input;
mod bulk_delete;
mod bulk_upsert;
mod cli;
mod contact_shape;
mod list_contacts;
mod protocol;
mod put_contact;
mod single_contact;
