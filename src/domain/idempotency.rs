//! Idempotency keys: the rule that decides, from what is stored under a key, whether a
//! request runs, replays the first answer, or is refused. Every backend applies it
//! inside one transaction.

use super::timestamp::Timestamp;

/// How long a key holds its first answer.
pub const KEY_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

/// Longest `Idempotency-Key` accepted, in characters.
pub const MAX_KEY_CHARS: usize = 255;

/// Checks an `Idempotency-Key` value: 1 to 255 visible ASCII characters.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_CHARS && key.bytes().all(|b| b.is_ascii_graphic())
}

/// An answer kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, when the answer had one.
    pub content_type: Option<String>,
    /// `ETag`, when the answer had one.
    pub etag: Option<String>,
    /// The body, byte for byte.
    pub body: Vec<u8>,
}

/// What is stored under one (API key, idempotency key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// SHA-256 of the request (method, path, query, body).
    pub request_hash: Vec<u8>,
    /// `None` while the first request is still running.
    pub response: Option<StoredResponse>,
    /// When the first request began.
    pub created_at: Timestamp,
}

/// A request arriving with a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// SHA-256 of this request.
    pub request_hash: Vec<u8>,
    /// Now.
    pub now: Timestamp,
    /// A request still marked running that began before this is taken to have died
    /// (it passed the request time limit), so this one may run.
    pub abandoned_before: Timestamp,
}

/// What to do with a request that carries a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyBegin {
    /// Run it; the key now marks it as running.
    Started,
    /// Answer with the first answer again.
    Replay(StoredResponse),
    /// The key was used for another request: 422.
    Mismatch,
    /// The first request with this key is still running: 409.
    InFlight,
}

/// The decision for `claim` given what is stored. `Started` means the caller must store
/// a fresh running record (replacing an expired or abandoned one).
pub fn decide(existing: Option<&IdempotencyRecord>, claim: &IdempotencyClaim) -> IdempotencyBegin {
    let Some(record) = existing else {
        return IdempotencyBegin::Started;
    };
    if record.created_at.millis() <= claim.now.millis() - KEY_LIFETIME_MS {
        return IdempotencyBegin::Started;
    }
    if record.request_hash != claim.request_hash {
        return IdempotencyBegin::Mismatch;
    }
    match &record.response {
        Some(response) => IdempotencyBegin::Replay(response.clone()),
        None if record.created_at < claim.abandoned_before => IdempotencyBegin::Started,
        None => IdempotencyBegin::InFlight,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(hash: u8, now: i64) -> IdempotencyClaim {
        IdempotencyClaim {
            request_hash: vec![hash],
            now: Timestamp::from_millis(now),
            abandoned_before: Timestamp::from_millis(now - 60_000),
        }
    }

    fn record(hash: u8, at: i64, done: bool) -> IdempotencyRecord {
        IdempotencyRecord {
            request_hash: vec![hash],
            response: done.then(|| StoredResponse {
                status: 200,
                content_type: None,
                etag: None,
                body: b"{}".to_vec(),
            }),
            created_at: Timestamp::from_millis(at),
        }
    }

    #[test]
    fn the_rules() {
        let now = 100 * KEY_LIFETIME_MS;
        assert_eq!(decide(None, &claim(1, now)), IdempotencyBegin::Started);
        assert!(matches!(
            decide(Some(&record(1, now - 5, true)), &claim(1, now)),
            IdempotencyBegin::Replay(_)
        ));
        assert_eq!(
            decide(Some(&record(2, now - 5, true)), &claim(1, now)),
            IdempotencyBegin::Mismatch
        );
        assert_eq!(
            decide(Some(&record(1, now - 5, false)), &claim(1, now)),
            IdempotencyBegin::InFlight
        );
        assert_eq!(
            decide(Some(&record(1, now - 120_000, false)), &claim(1, now)),
            IdempotencyBegin::Started
        );
        assert_eq!(
            decide(
                Some(&record(2, now - KEY_LIFETIME_MS, true)),
                &claim(1, now)
            ),
            IdempotencyBegin::Started
        );
    }

    #[test]
    fn keys_are_visible_ascii_up_to_255() {
        assert!(valid_key("a"));
        assert!(valid_key(&"k".repeat(255)));
        assert!(!valid_key(""));
        assert!(!valid_key(&"k".repeat(256)));
        assert!(!valid_key("with space"));
        assert!(!valid_key("é"));
    }
}
