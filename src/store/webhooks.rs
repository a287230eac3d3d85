//! The webhooks capability: endpoints and their secrets, each endpoint's delivery position
//! in the change feed (the cursor: the last event accepted), its retry state, messages
//! sent outside the feed's order (a replayed event, a test), the deliveries log, and the
//! lease that makes one node at a time deliver an endpoint (docs/webhooks.md).
//!
//! Every delivery-side write takes the node that holds the lease and changes nothing when
//! another node holds it now (`false`): a node that lost its lease stops at once.
//!
//! Also what a deletion keeps of a contact for later messages ([`DeletedContact`]): each
//! backend writes it where it records the `deleted` event, in the same transaction.
//! Columns and row mapping shared by the backends are in [`rows`].

pub mod rows;
pub mod runs;

use super::StoreError;
use crate::domain::contact::Contact;
use crate::domain::events::StoredEvent;
use crate::domain::ids::{ContactId, WebhookId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::webhook_payload::DeletedContact;
use crate::domain::webhooks::{WebhookEndpoint, WebhookPatch, WebhookSecret};
use async_trait::async_trait;

/// One attempt to deliver one message, as the deliveries log keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeliveryRecord {
    /// Position in the log (0 before it is stored).
    pub id: i64,
    /// The `webhook-id` sent.
    pub message_id: String,
    /// The feed event, if it was one (not for a test).
    pub event_seq: Option<i64>,
    /// The message's `type`.
    pub event_type: String,
    /// 1 for the first attempt at this message.
    pub attempt: u32,
    /// The receiver's status, if it answered.
    pub status_code: Option<u16>,
    /// What went wrong, if it did not answer (or answered but was refused).
    pub error: Option<String>,
    /// How long the attempt took.
    pub duration_ms: i64,
    /// When it started.
    pub created_at: Timestamp,
    /// The first 1 KiB of the answer's body.
    pub response: String,
}

/// A message waiting to go outside the feed's order: a replayed event or a test.
#[derive(Debug, Clone, PartialEq)]
pub struct OneOff {
    /// Its place in the queue.
    pub id: i64,
    /// The feed event to send again; `None`: a test message.
    pub event_seq: Option<i64>,
    /// The `webhook-id` to send.
    pub message_id: String,
    /// When it was asked for.
    pub created_at: Timestamp,
}

/// What a worker did since it last wrote its position: events accepted or skipped (the
/// cursor moves to `to`), every attempt made, and what became of the event after `to` if
/// it was attempted and not accepted. Written in one transaction (`record_progress`), so
/// a worker takes the writer once per batch of deliveries, not once per delivery; what was
/// sent but not yet written is sent again after a crash (at least once, same `webhook-id`).
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// The cursor the endpoint had at the last write (the write applies only at it).
    pub from: i64,
    /// The cursor now: the last event accepted or skipped (`from` when none).
    pub to: i64,
    /// Every attempt since the last write, oldest first.
    pub deliveries: Vec<DeliveryRecord>,
    /// The event after `to` failed: retry it later, or the schedule is spent.
    pub failure: Option<Failure>,
}

impl Progress {
    /// Nothing done yet from cursor `at`.
    pub fn at(cursor: i64) -> Progress {
        Progress {
            from: cursor,
            to: cursor,
            deliveries: Vec::new(),
            failure: None,
        }
    }

    /// Whether there is anything to write.
    pub fn is_empty(&self) -> bool {
        self.from == self.to && self.deliveries.is_empty() && self.failure.is_none()
    }
}

/// What a failed attempt at the endpoint's next feed event does to its retry state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Refused or unanswered: try again at this time, `attempt` failures so far.
    Retry { attempt: u32, at: Timestamp },
    /// The schedule is spent: the endpoint is marked failing and disabled.
    Exhausted { attempt: u32 },
}

/// What the message of one feed event is rebuilt from (`webhooks::message`).
#[derive(Debug, Clone, PartialEq)]
pub struct MessageSource {
    /// The contact as it is now, if it still exists in the event's workspace.
    pub contact: Option<Contact>,
    /// What its deletion kept, when it does not exist any more.
    pub deleted: Option<DeletedContact>,
    /// Its events after this one, oldest first (at most the limit asked for).
    pub later: Vec<StoredEvent>,
}

/// Lag of one endpoint for `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointLag {
    /// The endpoint.
    pub id: WebhookId,
    /// `active`, `failing`, `disabled`.
    pub state: String,
    /// Whether delivery runs.
    pub enabled: bool,
    /// Events of its workspace after its cursor (of any type, up to a cap).
    pub pending: u64,
    /// When the oldest of them was committed.
    pub oldest: Option<Timestamp>,
}

/// Webhook endpoints and their delivery state.
#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// Stores a new endpoint; its cursor starts at the newest event, so it receives what
    /// happens from now on. Returns it as stored.
    async fn create_webhook(
        &self,
        endpoint: WebhookEndpoint,
    ) -> Result<WebhookEndpoint, StoreError>;
    /// The endpoints of a workspace, oldest first.
    async fn list_webhooks(
        &self,
        workspace: &WorkspaceId,
    ) -> Result<Vec<WebhookEndpoint>, StoreError>;
    /// One endpoint, whatever its workspace (the caller checks access).
    async fn get_webhook(&self, id: &WebhookId) -> Result<Option<WebhookEndpoint>, StoreError>;
    /// Applies a change; switching it on clears the retry state, so delivery resumes at
    /// once from the first event not accepted.
    async fn update_webhook(
        &self,
        id: &WebhookId,
        patch: WebhookPatch,
        now: Timestamp,
    ) -> Result<Option<WebhookEndpoint>, StoreError>;
    /// Deletes an endpoint with its log and queue; false when there was none.
    async fn delete_webhook(&self, id: &WebhookId) -> Result<bool, StoreError>;
    /// Makes `secret` the signing secret; the one before keeps signing until `previous_until`.
    async fn rotate_webhook_secret(
        &self,
        id: &WebhookId,
        secret: WebhookSecret,
        previous_until: Timestamp,
        now: Timestamp,
    ) -> Result<Option<WebhookEndpoint>, StoreError>;
    /// Moves the cursor back to `after` (never forward: "back" by the feed's order, which
    /// on PostgreSQL is not seq order) and clears the retry state, so every event the feed
    /// lists after `after` is sent again, in feed order.
    async fn replay_webhook_after(&self, id: &WebhookId, after: i64) -> Result<bool, StoreError>;
    /// Queues a message outside the feed's order.
    async fn queue_one_off(&self, id: &WebhookId, message: OneOff) -> Result<(), StoreError>;
    /// The newest deliveries, newest first, before log position `before` (0: from the newest).
    async fn list_deliveries(
        &self,
        id: &WebhookId,
        before: i64,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, StoreError>;

    /// Enabled endpoints with work due at `now` and no live lease: events after their
    /// cursor (when their retry time has come), or queued one-offs. At most `limit`.
    async fn due_webhooks(&self, now: Timestamp, limit: u32) -> Result<Vec<WebhookId>, StoreError>;
    /// Takes (or extends) the lease of an endpoint for `node` for `lease_ms`; `None` when
    /// another node holds a live one or the endpoint is gone or disabled.
    async fn lease_webhook(
        &self,
        id: &WebhookId,
        node: &str,
        lease_ms: i64,
    ) -> Result<Option<WebhookEndpoint>, StoreError>;
    /// Gives the lease up.
    async fn release_webhook(&self, id: &WebhookId, node: &str) -> Result<(), StoreError>;
    /// Clears every lease: for a backend only one server can open (SQLite), at start.
    async fn clear_webhook_leases(&self) -> Result<(), StoreError>;
    /// Writes a worker's progress in one transaction: logs its attempts and moves the
    /// cursor from `progress.from` to `progress.to` with the retry state its failure
    /// implies (cleared when none). The position changes only while the endpoint is
    /// enabled, leased to `node` and still at `from` (a replay or a switch off in between
    /// wins); false otherwise. The attempts are logged either way.
    async fn record_progress(
        &self,
        id: &WebhookId,
        node: &str,
        progress: Progress,
    ) -> Result<bool, StoreError>;
    /// The queued one-offs of an endpoint, oldest first, at most `limit`.
    async fn one_offs(&self, id: &WebhookId, limit: u32) -> Result<Vec<OneOff>, StoreError>;
    /// Logs the attempt at a one-off and takes it off the queue (one-offs are sent once).
    async fn record_one_off(
        &self,
        id: &WebhookId,
        node: &str,
        one_off: i64,
        delivery: DeliveryRecord,
    ) -> Result<bool, StoreError>;

    /// For the feed's retention: the cursors of every endpoint, with their workspace
    /// (enabled or not: switching one on again resumes where it stopped). A backend whose
    /// seq order is feed order may give only each workspace's smallest; PostgreSQL's is
    /// not, so it gives them all and the caller keeps the earliest next event.
    async fn webhook_cursors(&self) -> Result<Vec<(WorkspaceId, i64)>, StoreError>;
    /// Deletes log entries older than `before`; returns how many.
    async fn prune_deliveries(&self, before: Timestamp) -> Result<u64, StoreError>;
    /// Every endpoint's lag, counting at most `cap` pending events each.
    async fn webhook_lag(&self, cap: u32) -> Result<Vec<EndpointLag>, StoreError>;

    /// What the messages of these feed events are rebuilt from, one per event in order,
    /// read together (on SQLite in one read): each contact as it is now, or what its
    /// deletion kept, and its next `history` events after that event.
    async fn message_sources(
        &self,
        events: &[StoredEvent],
        history: u32,
    ) -> Result<Vec<MessageSource>, StoreError>;
    /// One event of a workspace's feed by its id (seq), for a replay of that event.
    async fn webhook_event(
        &self,
        workspace: &WorkspaceId,
        seq: i64,
    ) -> Result<Option<StoredEvent>, StoreError>;
    /// What the deletion of a contact kept of it; `None` when it was not deleted (or was
    /// deleted before purrlist kept this, or it was forgotten).
    async fn deleted_contact(&self, id: &ContactId) -> Result<Option<DeletedContact>, StoreError>;
    /// Forgets what deletions kept of contacts the feed no longer has any event of (after
    /// the feed's retention pruned them); returns how many.
    async fn forget_deleted_contacts(&self) -> Result<u64, StoreError>;

    /// Every endpoint of every workspace, oldest first, for `purrlist copy`.
    async fn export_webhooks(&self) -> Result<Vec<WebhookEndpoint>, StoreError>;
    /// Stores endpoints exactly as given (secrets, cursors, retry state; no lease),
    /// skipping any whose id is already stored, for `purrlist copy`.
    async fn import_webhooks(&self, endpoints: Vec<WebhookEndpoint>) -> Result<(), StoreError>;
}
