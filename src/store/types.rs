//! The types the `Store` trait speaks, besides the domain's own: queries, outcomes,
//! conditions and errors.

use crate::domain::api_key::{ApiKey, KeyHash};
use crate::domain::bulk::{ItemError, ItemResult, UpdateError};
use crate::domain::contact::Contact;
use crate::domain::custom_fields::CustomFieldsError;
use crate::domain::events::StoredEvent;
use crate::domain::idempotency::IdempotencyRecord;
use crate::domain::ids::{ApiKeyId, ContactId, WorkspaceId};
use crate::domain::workspace::Workspace;

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
    /// The contact changed since the version the client named (`If-Match`).
    #[error("precondition failed")]
    PreconditionFailed,
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

/// The condition of a single-contact write (`If-Match`), checked in its transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    /// No condition.
    #[default]
    None,
    /// `If-Match: *`: any existing contact.
    Exists,
    /// The contact's version must be one of these (an empty list never matches).
    Versions(Vec<i64>),
}

impl Precondition {
    /// Whether a contact at `version` meets the condition.
    pub fn allows(&self, version: i64) -> bool {
        match self {
            Precondition::None | Precondition::Exists => true,
            Precondition::Versions(list) => list.contains(&version),
        }
    }
}

/// A page of a workspace's change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventQuery {
    /// The workspace.
    pub workspace: WorkspaceId,
    /// Only events after this position (0: from the start).
    pub after: i64,
    /// Most events to return.
    pub limit: u32,
    /// Only the events of this contact (its consent history).
    pub contact: Option<ContactId>,
}

/// Which contacts a bulk delete removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteScope {
    /// Notocat's default: only unsubscribed contacts.
    UnsubscribedOnly,
    /// `subscribed=true`: every contact of the workspace.
    Everyone,
}

/// A contact found by its unsubscribe token, with the name of its newsletter.
#[derive(Debug, Clone, PartialEq)]
pub struct UnsubscribeTarget {
    /// The contact.
    pub contact: Contact,
    /// The name of its workspace, shown on the page.
    pub workspace_name: String,
}

/// What [`Store::upsert_contact_chunks`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkOutcomes {
    /// One outcome per chunk written, in order.
    pub outcomes: Vec<BulkOutcome>,
    /// Why the chunk after the written ones was rejected, if one was; later chunks were not tried.
    pub rejected: Option<Vec<ItemError>>,
}

impl ChunkOutcomes {
    /// Nothing written yet, room for `chunks` outcomes.
    pub fn with_capacity(chunks: usize) -> ChunkOutcomes {
        ChunkOutcomes {
            outcomes: Vec::with_capacity(chunks),
            rejected: None,
        }
    }

    /// Records the next chunk's result. Returns whether to go on with the next chunk:
    /// not once a chunk is rejected (the chunks before it stay written); any other
    /// error ends the whole call.
    pub fn record(&mut self, result: Result<BulkOutcome, StoreError>) -> Result<bool, StoreError> {
        match result {
            Ok(outcome) => {
                self.outcomes.push(outcome);
                Ok(true)
            }
            Err(StoreError::BulkRejected(errors)) => {
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

impl From<UpdateError> for StoreError {
    fn from(e: UpdateError) -> StoreError {
        match e {
            UpdateError::EmailTaken => StoreError::EmailTaken,
            UpdateError::CustomFields(e) => StoreError::InvalidCustomFields(e),
        }
    }
}
