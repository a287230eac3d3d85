//! The sessions capability: the dashboard's signed-in browsers, kept as hashes of their
//! secrets beside the API key each signed in with. Whether a session is still alive is the
//! domain's call (`domain::session`); a store only keeps and returns its times.

use super::StoreError;
use crate::domain::api_key::ApiKey;
use crate::domain::ids::ApiKeyId;
use crate::domain::session::{SessionHash, SessionTimes};
use crate::domain::timestamp::Timestamp;
use async_trait::async_trait;

/// A stored session and the key it signed in with, as it now is (revoked or not).
#[derive(Debug, Clone, PartialEq)]
pub struct FoundSession {
    /// When it began and was last used.
    pub times: SessionTimes,
    /// The API key; a session is worth no more than its key.
    pub key: ApiKey,
}

/// Dashboard sessions. Deleting a key deletes its sessions (a foreign key).
#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a new session of `key` begun at `now`.
    async fn create_session(
        &self,
        hash: SessionHash,
        key: &ApiKeyId,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    /// The session with this hash and its key, if there is one.
    async fn find_session(&self, hash: SessionHash) -> Result<Option<FoundSession>, StoreError>;
    /// Records that the session was used at `now`.
    async fn touch_session(&self, hash: SessionHash, now: Timestamp) -> Result<(), StoreError>;
    /// Ends a session (signing out, or one found expired).
    async fn delete_session(&self, hash: SessionHash) -> Result<(), StoreError>;
    /// Deletes every session last used before `idle_before` or begun before
    /// `begun_before` (over by the domain's rule, but never presented again); how many.
    async fn prune_sessions(
        &self,
        idle_before: Timestamp,
        begun_before: Timestamp,
    ) -> Result<u64, StoreError>;
}
