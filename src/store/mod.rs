//! Storage: small traits in domain types, one per capability, each implemented once per
//! backend in the module that holds its SQL (`sqlite/contacts.rs` implements
//! [`ContactStore`] for SQLite, and so on), with no forwarding layer in between.
//!
//! The capabilities: [`ContactStore`], [`UnsubscribeStore`], [`EventStore`],
//! [`IdempotencyStore`], [`AdminStore`] (workspaces, keys, ping), [`ImportStore`] (the jobs
//! of `POST /v1/imports`), [`WebhookStore`] (endpoints and their delivery state),
//! [`TransferStore`] (copy, export, import), [`SuppressionStore`] (suppressions, erasure),
//! [`InboundStore`] and [`PrivacyExportStore`] (bounce reports, access requests),
//! [`ConfirmationStore`] (double opt-in), [`FormKeyStore`] (public sign-up forms),
//! [`SessionStore`] (dashboard sign-ins), [`ContactSearchStore`] (the dashboard's contact
//! search) and [`DailyCountStore`] (its chart). A new one is a new file here with its trait
//! and types, and an `impl` in each backend. [`open`] gives every capability of one
//! database; each part of purrlist takes only those it uses (the server a [`ServerStore`]). Backends fetch and
//! persist; the domain decides, and its refusals come back as [`StoreError::Domain`]. The
//! HTTP layer never sees a driver type: each backend maps its driver's errors (unique
//! violation, busy, connection lost) to [`StoreError`].

pub mod inbound;
pub mod position;
pub mod postgres;
pub mod privacy_export;
pub mod sqlite;

mod admin;
mod confirmations;
mod contact_search;
mod contacts;
mod daily_counts;
mod error;
mod events;
mod form_keys;
mod idempotency;
mod imports;
mod sessions;
mod suppressions;
mod transfer;
mod unsubscribe;
mod url;
mod webhooks;

pub use admin::AdminStore;
pub use confirmations::{
    AskToConfirm, ConfirmOutcome, ConfirmationRequest, ConfirmationStore, ConfirmationTarget,
    RequestOutcome,
};
pub use contact_search::{ContactSearch, ContactSearchStore};
pub use contacts::{
    BulkOutcome, ContactPage, ContactQuery, ContactStore, DeleteScope, UpdateOutcome,
};
pub use daily_counts::{DailyCountStore, MAX_COUNT_BATCH, count_whole_feed};
pub use error::StoreError;
pub use events::{EventQuery, EventStore};
pub use form_keys::FormKeyStore;
pub use idempotency::IdempotencyStore;
pub use imports::ImportStore;
pub use inbound::InboundStore;
pub use privacy_export::PrivacyExportStore;
pub use sessions::{FoundSession, SessionStore};
pub use suppressions::{
    ErasureOutcome, LiftOutcome, SuppressOutcome, SuppressionCopy, SuppressionPage,
    SuppressionStore,
};
pub use transfer::{
    ChunkOutcomes, ContactPages, IdempotencyEntry, ImportOutcome, ImportRows, ImportWrite,
    TransferStore,
};
pub use unsubscribe::{UnsubscribeStore, UnsubscribeTarget};
pub use url::{DatabaseUrl, redact_url};
pub use webhooks::{
    DeliveryRecord, EndpointLag, Failure, MessageSource, OneOff, Progress, WebhookStore,
};

use std::sync::Arc;

/// What the HTTP server uses: every capability (transfer for `GET /v1/contacts/export`,
/// which reads by keyset page as `purrlist export` does, and for the import jobs it runs).
pub trait ServerStore:
    ContactStore
    + UnsubscribeStore
    + EventStore
    + IdempotencyStore
    + AdminStore
    + TransferStore
    + ImportStore
    + WebhookStore
    + InboundStore
    + PrivacyExportStore
    + SuppressionStore
    + ConfirmationStore
    + FormKeyStore
    + SessionStore
    + ContactSearchStore
    + DailyCountStore
{
}

impl<T> ServerStore for T where
    T: ContactStore
        + UnsubscribeStore
        + EventStore
        + IdempotencyStore
        + AdminStore
        + TransferStore
        + ImportStore
        + WebhookStore
        + InboundStore
        + PrivacyExportStore
        + SuppressionStore
        + ConfirmationStore
        + FormKeyStore
        + SessionStore
        + ContactSearchStore
        + DailyCountStore
        + ?Sized
{
}

/// Every capability of one database, as [`open`] gives it; a part of purrlist that needs
/// fewer takes them from it (`Arc<dyn FullStore>` coerces to `Arc<dyn ServerStore>`,
/// `&dyn TransferStore`, …).
pub trait FullStore: ServerStore + TransferStore {}

impl<T: ServerStore + TransferStore + ?Sized> FullStore for T {}

/// One opened database, shared by the server, its background tasks and the CLI.
pub type SharedStore = Arc<dyn FullStore>;

/// Opens the store a database URL names (see [`DatabaseUrl`]).
pub async fn open(url: &str, options: &StoreOptions) -> anyhow::Result<SharedStore> {
    Ok(match DatabaseUrl::parse(url)? {
        DatabaseUrl::Sqlite(path) => Arc::new(sqlite::SqliteStore::open(&path, &options.sqlite)?),
        DatabaseUrl::Postgres(url) => {
            Arc::new(postgres::PostgresStore::open(&url, &options.postgres).await?)
        }
    })
}

/// Settings for opening a store.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// SQLite settings.
    pub sqlite: sqlite::SqliteOptions,
    /// PostgreSQL settings.
    pub postgres: postgres::PostgresOptions,
}
