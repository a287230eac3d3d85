//! The events capability: reading and pruning the change feed (writes record their own
//! events, in their own transaction).

use super::StoreError;
use crate::domain::events::StoredEvent;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use async_trait::async_trait;

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

/// The change feed.
#[async_trait]
pub trait EventStore: Send + Sync + 'static {
    /// Events of a workspace after a position, oldest first, at most `limit`.
    async fn list_events(&self, query: EventQuery) -> Result<Vec<StoredEvent>, StoreError>;
    /// Deletes events committed before `before`; returns how many.
    async fn prune_events(&self, before: Timestamp) -> Result<u64, StoreError>;
}
