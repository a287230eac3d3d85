//! purrlist: a self-hosted server for newsletter contacts that speaks the Notocat v1
//! contacts API. One request travels `http → domain → store` and back.
#![forbid(unsafe_code)]

pub mod app;
pub mod background;
pub mod cli;
pub mod config;
pub mod domain;
pub mod double_opt_in;
pub mod http;
pub mod import;
pub mod import_jobs;
pub mod inbound;
pub mod store;
pub mod webhooks;
