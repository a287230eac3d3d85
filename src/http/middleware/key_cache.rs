//! Resolving a bearer secret to its key, with a short-lived in-memory cache so a
//! busy client does not cost a database read per request.

use crate::domain::api_key::{ApiKey, ApiKeySecret, KeyHash};
use crate::store::{AdminStore, StoreError};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys seen recently. A revocation reaches every node within `ttl`.
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<KeyHash, (Instant, Option<ApiKey>)>>,
}

/// Most entries kept; past it the cache starts again empty.
const MAX_ENTRIES: usize = 10_000;

impl KeyCache {
    /// A cache whose entries live `ttl` (zero turns it off).
    pub fn new(ttl: Duration) -> KeyCache {
        KeyCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The key for `secret`, if one exists (revoked keys are returned too).
    pub async fn lookup(
        &self,
        store: &dyn AdminStore,
        secret: &ApiKeySecret,
    ) -> Result<Option<ApiKey>, StoreError> {
        let hash = secret.hash();
        if let Ok(entries) = self.entries.lock()
            && let Some((at, key)) = entries.get(&hash)
            && at.elapsed() < self.ttl
        {
            return Ok(key.clone());
        }
        let key = store.find_api_key(hash).await?;
        if !self.ttl.is_zero()
            && let Ok(mut entries) = self.entries.lock()
        {
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(hash, (Instant::now(), key.clone()));
        }
        Ok(key)
    }
}
