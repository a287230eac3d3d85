//! Storage: one narrow trait in domain types, implemented once per backend.
//!
//! The HTTP layer holds an `Arc<dyn Store>` and never sees a driver type; each backend
//! maps its driver's errors (unique violation, busy, connection lost) to [`StoreError`].

pub mod postgres;
pub mod sqlite;

use crate::domain::api_key::{ApiKey, KeyHash, WorkspaceGrant};
use crate::domain::bulk::{BulkItem, ItemError, ItemResult};
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::custom_fields::CustomFieldsError;
use crate::domain::ids::{ApiKeyId, ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use async_trait::async_trait;
use std::sync::Arc;

/// Why a store call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
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
    /// A workspace named in the call does not exist.
    #[error("unknown workspace {0}")]
    UnknownWorkspace(String),
    /// The database cannot be reached or is too busy; the caller may retry.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the detail is for the log, never for the client.
    #[error("storage failure: {0}")]
    Internal(String),
}

/// A page of the contact list, in `createdAt`, `id` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactQuery {
    /// The workspace to list.
    pub workspace: WorkspaceId,
    /// Exact match on the normalised email.
    pub email: Option<String>,
    /// Only subscribed (`true`) or unsubscribed (`false`) contacts.
    pub subscribed: Option<bool>,
    /// Page size, 1 to 1000.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
}

/// One page of contacts and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactPage {
    /// This page.
    pub contacts: Vec<Contact>,
    /// Every contact matching the filters.
    pub total: u64,
}

/// What a single-contact update did.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateOutcome {
    /// The contact as it now is.
    pub contact: Contact,
    /// False for a write that changed nothing (and kept `updatedAt`).
    pub changed: bool,
}

/// What a bulk upsert did.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkOutcome {
    /// One entry per item, in order.
    pub results: Vec<ItemResult>,
}

/// Which contacts a bulk delete removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteScope {
    /// Notocat's default: only unsubscribed contacts.
    UnsubscribedOnly,
    /// `subscribed=true`: every contact of the workspace.
    Everyone,
}

/// Everything purrlist keeps. Every method is atomic: it applies whole or not at all.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Answers when the database does.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Makes a workspace.
    async fn create_workspace(&self, name: String, now: Timestamp)
    -> Result<Workspace, StoreError>;
    /// Every workspace, oldest first.
    async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError>;
    /// Whether the workspace exists.
    async fn workspace_exists(&self, id: &WorkspaceId) -> Result<bool, StoreError>;

    /// Stores `workspace` and `key` together, only when the database has no workspace yet;
    /// false (and nothing stored) when one exists. Atomic even when several nodes start at once.
    async fn create_first_workspace(
        &self,
        workspace: Workspace,
        key: ApiKey,
        hash: KeyHash,
    ) -> Result<bool, StoreError>;

    /// Stores a key (its hash only). Fails with `UnknownWorkspace` for a listed workspace that does not exist.
    async fn create_api_key(&self, key: ApiKey, hash: KeyHash) -> Result<(), StoreError>;
    /// Every key, oldest first, never a secret.
    async fn list_api_keys(&self) -> Result<Vec<ApiKey>, StoreError>;
    /// Revokes a key; false when there is no such key.
    async fn revoke_api_key(&self, id: &ApiKeyId, now: Timestamp) -> Result<bool, StoreError>;
    /// The key with this hash, revoked or not.
    async fn find_api_key(&self, hash: KeyHash) -> Result<Option<ApiKey>, StoreError>;

    /// A contact by id, in a workspace `grant` allows.
    async fn get_contact(
        &self,
        id: &ContactId,
        grant: &WorkspaceGrant,
    ) -> Result<Option<Contact>, StoreError>;
    /// Merges `patch` into a contact in a workspace `grant` allows (`domain::bulk::plan_update`).
    async fn update_contact(
        &self,
        id: ContactId,
        grant: WorkspaceGrant,
        patch: ContactPatch,
        now: Timestamp,
    ) -> Result<UpdateOutcome, StoreError>;
    /// Creates or updates many contacts of one workspace, all or nothing (`domain::bulk::plan_bulk`).
    async fn upsert_contacts(
        &self,
        workspace: WorkspaceId,
        items: Vec<BulkItem>,
        now: Timestamp,
    ) -> Result<BulkOutcome, StoreError>;
    /// One page of contacts and the total that match.
    async fn list_contacts(&self, query: ContactQuery) -> Result<ContactPage, StoreError>;
    /// Deletes one contact in a workspace `grant` allows; false when there is none.
    async fn delete_contact(
        &self,
        id: ContactId,
        grant: WorkspaceGrant,
    ) -> Result<bool, StoreError>;
    /// Deletes contacts of a workspace in bulk; returns how many.
    async fn delete_contacts(
        &self,
        workspace: WorkspaceId,
        scope: DeleteScope,
    ) -> Result<u64, StoreError>;

    /// Every key with its hash, oldest first (for `purrlist copy`).
    async fn export_api_keys(&self) -> Result<Vec<(ApiKey, KeyHash)>, StoreError>;
    /// Up to `limit` contacts of a workspace that come after `after` in (createdAt, id)
    /// order, all of them from the start when `after` is `None` (for `purrlist copy`).
    async fn export_contacts(
        &self,
        workspace: &WorkspaceId,
        after: Option<(Timestamp, ContactId)>,
        limit: u32,
    ) -> Result<Vec<Contact>, StoreError>;
    /// Stores rows exactly as given (ids, tokens, times, versions), skipping any whose id
    /// is already stored, all or nothing (for `purrlist copy`).
    async fn import(&self, rows: ImportRows) -> Result<(), StoreError>;
}

/// Rows to store as they are, for `purrlist copy`.
#[derive(Debug, Clone, Default)]
pub struct ImportRows {
    /// Workspaces.
    pub workspaces: Vec<Workspace>,
    /// Keys with their hashes; listed workspaces must exist.
    pub keys: Vec<(ApiKey, KeyHash)>,
    /// Contacts; their workspaces must exist.
    pub contacts: Vec<Contact>,
}

/// The store the server and the CLI share.
pub type SharedStore = Arc<dyn Store>;

/// Opens the store a database URL names: `sqlite://path` (the default) or `postgres://…`.
pub async fn open(url: &str, options: &StoreOptions) -> anyhow::Result<SharedStore> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let store = sqlite::SqliteStore::open(std::path::Path::new(path), &options.sqlite)?;
        return Ok(Arc::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = postgres::PostgresStore::open(url, &options.postgres).await?;
        return Ok(Arc::new(store));
    }
    anyhow::bail!(
        "unsupported database URL (expected sqlite://PATH or postgres://…): {}",
        redact_url(url)
    )
}

/// Settings for opening a store.
#[derive(Debug, Clone, Default)]
pub struct StoreOptions {
    /// SQLite settings.
    pub sqlite: sqlite::SqliteOptions,
    /// PostgreSQL settings.
    pub postgres: postgres::PostgresOptions,
}

/// A URL with any password replaced by `***`, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
