//! Storage: one narrow trait in domain types, implemented once per backend.
//!
//! The HTTP layer holds an `Arc<dyn Store>` and never sees a driver type; each backend
//! maps its driver's errors (unique violation, busy, connection lost) to [`StoreError`].

pub mod postgres;
pub mod sqlite;

use crate::domain::api_key::{ApiKey, KeyHash, WorkspaceGrant};
use crate::domain::bulk::BulkItem;
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::events::{Actor, StoredEvent};
use crate::domain::idempotency::{IdempotencyBegin, IdempotencyClaim, StoredResponse};
use crate::domain::ids::{ApiKeyId, ContactId, UnsubToken, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use async_trait::async_trait;
use std::sync::Arc;

mod types;
pub use types::*;

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
    /// Merges `patch` into a contact in a workspace `grant` allows (`domain::bulk::plan_update`)
    /// if it meets `precondition`, recording the change as `actor`'s.
    async fn update_contact(
        &self,
        id: ContactId,
        grant: WorkspaceGrant,
        patch: ContactPatch,
        now: Timestamp,
        actor: Actor,
        precondition: Precondition,
    ) -> Result<UpdateOutcome, StoreError>;
    /// Creates or updates many contacts of one workspace, all or nothing (`domain::bulk::plan_bulk`),
    /// recording each change as `actor`'s.
    async fn upsert_contacts(
        &self,
        workspace: WorkspaceId,
        items: Vec<BulkItem>,
        now: Timestamp,
        actor: Actor,
    ) -> Result<BulkOutcome, StoreError>;
    /// One page of contacts and the total that match.
    async fn list_contacts(&self, query: ContactQuery) -> Result<ContactPage, StoreError>;
    /// Deletes one contact in a workspace `grant` allows if it meets `precondition`;
    /// false when there is none.
    async fn delete_contact(
        &self,
        id: ContactId,
        grant: WorkspaceGrant,
        now: Timestamp,
        actor: Actor,
        precondition: Precondition,
    ) -> Result<bool, StoreError>;
    /// Deletes contacts of a workspace in bulk; returns how many.
    async fn delete_contacts(
        &self,
        workspace: WorkspaceId,
        scope: DeleteScope,
        now: Timestamp,
        actor: Actor,
    ) -> Result<u64, StoreError>;

    /// The contact whose unsubscribe link carries `token`, and its newsletter's name.
    async fn find_by_unsub_token(
        &self,
        token: &UnsubToken,
    ) -> Result<Option<UnsubscribeTarget>, StoreError>;
    /// Sets `subscribed` of the contact with `token` (a no-op when it already is), recorded
    /// as the unsubscribe link's change; `None` when there is no such contact.
    async fn set_subscribed_by_token(
        &self,
        token: UnsubToken,
        subscribed: bool,
        now: Timestamp,
    ) -> Result<Option<UnsubscribeTarget>, StoreError>;

    /// Events of a workspace after a position, oldest first, at most `limit`.
    async fn list_events(&self, query: EventQuery) -> Result<Vec<StoredEvent>, StoreError>;
    /// Deletes events committed before `before`; returns how many.
    async fn prune_events(&self, before: Timestamp) -> Result<u64, StoreError>;

    /// Starts a request under (`api_key`, `key`) following `domain::idempotency::decide`;
    /// on `Started` the key is marked running.
    async fn begin_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        claim: IdempotencyClaim,
    ) -> Result<IdempotencyBegin, StoreError>;
    /// Keeps the answer of a started request, for replay.
    async fn finish_idempotent(
        &self,
        api_key: ApiKeyId,
        key: String,
        response: StoredResponse,
    ) -> Result<(), StoreError>;
    /// Forgets a started request that kept no answer, so a retry runs again.
    async fn release_idempotent(&self, api_key: ApiKeyId, key: String) -> Result<(), StoreError>;
    /// Deletes keys first used before `before`; returns how many.
    async fn prune_idempotency(&self, before: Timestamp) -> Result<u64, StoreError>;

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

    /// Up to `limit` events of every workspace with a seq above `after`, in seq order
    /// (for `purrlist copy`).
    async fn export_events(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;
    /// How many events a workspace's feed holds.
    async fn count_events(&self, workspace: &WorkspaceId) -> Result<u64, StoreError>;
    /// Several bulk upserts of one workspace in order (for `purrlist import`): each chunk
    /// applied exactly as [`Store::upsert_contacts`] applies it (`domain::bulk::plan_bulk`);
    /// a backend may commit them together. Stops at the first chunk the plan rejects: the
    /// chunks before it are written and their outcomes returned, nothing after it is.
    async fn upsert_contact_chunks(
        &self,
        workspace: WorkspaceId,
        chunks: Vec<Vec<BulkItem>>,
        now: Timestamp,
        actor: Actor,
    ) -> Result<ChunkOutcomes, StoreError> {
        let mut done = ChunkOutcomes::with_capacity(chunks.len());
        for items in chunks {
            let result = self
                .upsert_contacts(workspace.clone(), items, now, actor.clone())
                .await;
            if !done.record(result)? {
                break;
            }
        }
        Ok(done)
    }

    /// Every finished idempotency record first used at or after `since` (for `purrlist copy`).
    async fn export_idempotency(
        &self,
        since: Timestamp,
    ) -> Result<Vec<IdempotencyEntry>, StoreError>;
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
