//! The transfer capability: a database moved wholesale (`purrlist copy`), exported
//! (`purrlist export`, each page of contacts with the suppressions of its addresses) and
//! filled by imports (`purrlist import`, `crate::import`).

use super::StoreError;
use crate::domain::api_key::{ApiKey, KeyHash};
use crate::domain::bulk::ItemError;
use crate::domain::contact::Contact;
use crate::domain::error::DomainError;
use crate::domain::events::{Actor, StoredEvent};
use crate::domain::evidence::Evidence;
use crate::domain::idempotency::IdempotencyRecord;
use crate::domain::ids::{ApiKeyId, ContactId, WorkspaceId};
use crate::domain::import_plan::{ImportItem, ImportPlan};
use crate::domain::suppression::SuppressionsByEmail;
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use async_trait::async_trait;

/// Rows read and written as they are. Every method is atomic.
#[async_trait]
pub trait TransferStore: Send + Sync + 'static {
    /// Every workspace, oldest first.
    async fn export_workspaces(&self) -> Result<Vec<Workspace>, StoreError>;
    /// Every key with its hash, oldest first.
    async fn export_api_keys(&self) -> Result<Vec<(ApiKey, KeyHash)>, StoreError>;
    /// Up to `limit` contacts of a workspace that come after `after` in (createdAt, id)
    /// order, all of them from the start when `after` is `None`.
    async fn export_contacts(
        &self,
        workspace: &WorkspaceId,
        after: Option<(Timestamp, ContactId)>,
        limit: u32,
    ) -> Result<Vec<Contact>, StoreError>;
    /// How many contacts a workspace holds.
    async fn count_contacts(&self, workspace: &WorkspaceId) -> Result<u64, StoreError>;
    /// The suppressions of these normalised addresses of a workspace, by address, in one
    /// read (the lookup bulk writes and imports make), for a page of an export.
    async fn suppressions_of_emails(
        &self,
        workspace: &WorkspaceId,
        emails: &[&str],
    ) -> Result<SuppressionsByEmail, StoreError>;
    /// Up to `limit` events of every workspace with a seq above `after`, in seq order.
    async fn export_events(&self, after: i64, limit: u32) -> Result<Vec<StoredEvent>, StoreError>;
    /// How many events a workspace's feed holds.
    async fn count_events(&self, workspace: &WorkspaceId) -> Result<u64, StoreError>;
    /// Every finished idempotency record first used at or after `since`.
    async fn export_idempotency(
        &self,
        since: Timestamp,
    ) -> Result<Vec<IdempotencyEntry>, StoreError>;
    /// Stores rows exactly as given (ids, tokens, times, versions), skipping any whose id
    /// is already stored, all or nothing.
    async fn import(&self, rows: ImportRows) -> Result<(), StoreError>;
    /// Several chunks of an import into one workspace, in order, each planned by
    /// `domain::import_plan::plan_import` over the contacts its rows name (see
    /// `import_keys`) and written whole or not at all; a backend may commit them together.
    /// Stops at the first chunk the plan rejects: the chunks before it are written and
    /// their outcomes returned, nothing after it is.
    async fn import_contact_chunks(
        &self,
        workspace: WorkspaceId,
        chunks: Vec<Vec<ImportItem>>,
        write: ImportWrite,
    ) -> Result<ChunkOutcomes<ImportOutcome>, StoreError>;
    /// What [`TransferStore::import_contact_chunks`] would do with one chunk, writing
    /// nothing (a dry run): planned over the stored contacts its rows name, each replaced by
    /// (or joined with) the one of `earlier` with its id, the state earlier chunks of the
    /// dry run left it in. A rejected chunk is `StoreError::Domain(BulkRejected)`.
    async fn plan_import_chunk(
        &self,
        workspace: WorkspaceId,
        items: Vec<ImportItem>,
        earlier: Vec<Contact>,
        write: ImportWrite,
    ) -> Result<ImportPlan, StoreError>;
}

/// A workspace's contacts page by page in list order (createdAt, id), each page read by
/// keyset after the last one, so an export holds one page at a time whatever its size.
#[derive(Debug, Clone)]
pub struct ContactPages {
    workspace: WorkspaceId,
    after: Option<(Timestamp, ContactId)>,
    size: u32,
}

impl ContactPages {
    /// From the first contact of `workspace`, `size` contacts a page.
    pub fn new(workspace: WorkspaceId, size: u32) -> ContactPages {
        ContactPages {
            workspace,
            after: None,
            size,
        }
    }

    /// The next page; empty once every contact was read.
    pub async fn next(&mut self, store: &dyn TransferStore) -> Result<Vec<Contact>, StoreError> {
        let page = store
            .export_contacts(&self.workspace, self.after.clone(), self.size)
            .await?;
        if let Some(last) = page.last() {
            self.after = Some((last.created_at, last.id.clone()));
        }
        Ok(page)
    }
}

/// What [`TransferStore::import_contact_chunks`] did to one chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportOutcome {
    /// Each row's result, as a bulk request's.
    pub results: Vec<crate::domain::bulk::ItemResult>,
    /// The rows kept from re-subscribing an unsubscribed contact (`domain::import_plan`).
    pub kept_unsubscribed: Vec<usize>,
    /// The rows kept from subscribing a suppressed address (or left out, for an erased one).
    pub kept_suppressed: Vec<usize>,
}

impl From<ImportPlan> for ImportOutcome {
    fn from(plan: ImportPlan) -> ImportOutcome {
        ImportOutcome {
            results: plan.plan.results,
            kept_unsubscribed: plan.kept_unsubscribed,
            kept_suppressed: plan.kept_suppressed,
        }
    }
}

/// How an import writes: when, as whom, and whether it may re-subscribe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportWrite {
    /// The time of the writes.
    pub now: Timestamp,
    /// Who the feed names (`Actor::Import`).
    pub actor: Actor,
    /// What each event keeps of how it happened (source `import:<format>`).
    pub evidence: Evidence,
    /// Whether a row may turn an unsubscribed contact back to subscribed.
    pub resubscribe: bool,
    /// Whether a row may subscribe a suppressed address (lifting its suppression).
    pub override_suppression: bool,
}

/// What [`TransferStore::import_contact_chunks`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkOutcomes<T = ImportOutcome> {
    /// One outcome per chunk written, in order.
    pub outcomes: Vec<T>,
    /// Why the chunk after the written ones was rejected, if one was; later chunks were not tried.
    pub rejected: Option<Vec<ItemError>>,
}

impl<T> ChunkOutcomes<T> {
    /// Nothing written yet, room for `chunks` outcomes.
    pub fn with_capacity(chunks: usize) -> ChunkOutcomes<T> {
        ChunkOutcomes {
            outcomes: Vec::with_capacity(chunks),
            rejected: None,
        }
    }

    /// Records the next chunk's result. Returns whether to go on with the next chunk:
    /// not once a chunk is rejected (the chunks before it stay written); any other
    /// error ends the whole call.
    pub fn record(&mut self, result: Result<T, StoreError>) -> Result<bool, StoreError> {
        match result {
            Ok(outcome) => {
                self.outcomes.push(outcome);
                Ok(true)
            }
            Err(StoreError::Domain(DomainError::BulkRejected(errors))) => {
                self.rejected = Some(errors);
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }
}

/// One idempotency record with the keys it is stored under, for `purrlist copy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyEntry {
    /// The API key that sent the request.
    pub api_key: ApiKeyId,
    /// The `Idempotency-Key` value.
    pub key: String,
    /// The request's hash, answer and time.
    pub record: IdempotencyRecord,
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
    /// Events with their seq; the feed's next seq is moved past the highest stored.
    pub events: Vec<StoredEvent>,
    /// Finished idempotency records.
    pub idempotency: Vec<IdempotencyEntry>,
}
