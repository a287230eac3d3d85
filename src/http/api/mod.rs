//! The JSON API under `/v1` and the probes: handlers that extract, call domain and store,
//! and map errors, with the request and response shapes they share.

pub mod body;
pub mod bulk;
pub mod conditional;
pub mod confirm_requests;
pub mod consent;
pub mod contact_json;
pub mod contact_list;
pub mod contacts;
pub mod contacts_export;
pub mod events;
pub mod form_keys;
pub mod health;
pub mod import_json;
pub mod imports;
pub mod inbound;
pub mod inbound_secrets;
pub mod privacy;
pub mod privacy_export;
pub mod query;
pub mod suppressions;
pub mod webhook_actions;
pub mod webhook_json;
pub mod webhooks;
pub mod workspaces;
