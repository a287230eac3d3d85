//! Dashboard sessions: the secret a browser holds, the hash the database keeps, and the
//! rule that says whether a session is still alive (idle and absolute expiry). The CSRF
//! token of a session is derived from its secret, so it needs no storage of its own.

use super::ids::random_body;
use super::timestamp::Timestamp;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Random characters of a session secret: 43 of a 64-symbol alphabet, 258 bits.
const SECRET_CHARS: usize = 43;

/// The secret in a browser's session cookie. Never stored, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionSecret(String);

impl std::fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionSecret(***)")
    }
}

/// What the database keeps of a session secret: its SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionHash(pub [u8; 32]);

impl SessionSecret {
    /// A new secret from the CSPRNG.
    pub fn generate() -> SessionSecret {
        SessionSecret(random_body(SECRET_CHARS))
    }

    /// A secret as a cookie carried it; `None` when it is not of the right shape.
    pub fn parse(text: &str) -> Option<SessionSecret> {
        let ok = text.len() == SECRET_CHARS
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| SessionSecret(text.to_owned()))
    }

    /// The hash the database keeps.
    pub fn hash(&self) -> SessionHash {
        SessionHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// The CSRF token of this session: a hash of the secret under another label, so the
    /// token in a page reveals nothing of the cookie.
    pub fn csrf_token(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(b"purrlist dashboard csrf\0");
        hasher.update(self.0.as_bytes());
        hex::encode(hasher.finalize())
    }

    /// Whether `given` is this session's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, given: &str) -> bool {
        let expected = self.csrf_token();
        expected.len() == given.len()
            && expected
                .bytes()
                .zip(given.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// The secret, for the `Set-Cookie` header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLifetime {
    /// A session unused this long is over.
    pub idle: Duration,
    /// A session this old is over, however busy.
    pub absolute: Duration,
}

impl Default for SessionLifetime {
    fn default() -> Self {
        SessionLifetime {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 3600),
        }
    }
}

/// A stored session's times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTimes {
    /// When it was signed in.
    pub created_at: Timestamp,
    /// When it was last used (kept to within [`TOUCH_EVERY`]).
    pub last_seen_at: Timestamp,
}

/// A session's `last_seen_at` is written again only when it is older than this, so
/// browsing does not cost a database write per page.
pub const TOUCH_EVERY: Duration = Duration::from_secs(60);

impl SessionTimes {
    /// Whether the session is still alive at `now`.
    pub fn alive(&self, now: Timestamp, lifetime: SessionLifetime) -> bool {
        let since = |t: Timestamp| now.millis().saturating_sub(t.millis());
        since(self.created_at) < millis(lifetime.absolute)
            && since(self.last_seen_at) < millis(lifetime.idle)
    }

    /// The cut-offs before which a session is over at `now`: (last used, begun), for
    /// pruning sessions nobody presents any more.
    pub fn cutoffs(now: Timestamp, lifetime: SessionLifetime) -> (Timestamp, Timestamp) {
        let before = |d: Duration| Timestamp::from_millis(now.millis().saturating_sub(millis(d)));
        (before(lifetime.idle), before(lifetime.absolute))
    }

    /// Whether `last_seen_at` should be written again at `now`.
    pub fn needs_touch(&self, now: Timestamp) -> bool {
        now.millis().saturating_sub(self.last_seen_at.millis()) >= millis(TOUCH_EVERY)
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_millis(millis)
    }

    #[test]
    fn a_session_dies_when_idle_or_old() {
        let lifetime = SessionLifetime {
            idle: Duration::from_secs(10),
            absolute: Duration::from_secs(100),
        };
        let times = SessionTimes {
            created_at: at(0),
            last_seen_at: at(95_000),
        };
        assert!(times.alive(at(99_999), lifetime));
        assert!(!times.alive(at(100_000), lifetime), "absolute expiry");
        let idle = SessionTimes {
            created_at: at(0),
            last_seen_at: at(0),
        };
        assert!(idle.alive(at(9_999), lifetime));
        assert!(!idle.alive(at(10_000), lifetime), "idle expiry");
        assert_eq!(
            SessionTimes::cutoffs(at(200_000), lifetime),
            (at(190_000), at(100_000))
        );
    }

    #[test]
    fn secrets_parse_back_and_tokens_match_only_their_session() {
        let secret = SessionSecret::generate();
        let again = SessionSecret::parse(secret.expose()).expect("parses");
        assert_eq!(again.hash(), secret.hash());
        assert!(secret.csrf_matches(&again.csrf_token()));
        let other = SessionSecret::generate();
        assert!(!secret.csrf_matches(&other.csrf_token()));
        assert!(!secret.csrf_matches(""));
        assert!(SessionSecret::parse("short").is_none());
        assert!(SessionSecret::parse(&"a".repeat(42).replace('a', "é")).is_none());
        assert_ne!(secret.csrf_token(), secret.expose());
    }
}
