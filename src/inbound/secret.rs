//! A workspace's inbound secret: the capability in its inbound URLs. 32 random characters
//! of `A-Za-z0-9_-` (192 bits), shown once when made; only its SHA-256 is stored, as for
//! API keys, so a database leak does not let anyone post bounces.

use crate::domain::ids::random_body;
use sha2::{Digest, Sha256};

/// Characters in a secret.
pub const SECRET_LEN: usize = 32;

/// A fresh secret.
pub fn generate() -> String {
    random_body(SECRET_LEN)
}

/// What is stored of a secret, and compared: its SHA-256, hex.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Whether `given` is the secret whose hash is `stored`. Both sides are hashes of equal
/// length, compared without an early exit.
pub fn matches(given: &str, stored: &str) -> bool {
    let given = hash(given);
    given.len() == stored.len()
        && given
            .bytes()
            .zip(stored.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_matches_its_hash_only() {
        let secret = generate();
        assert_eq!(secret.len(), SECRET_LEN);
        assert!(matches(&secret, &hash(&secret)));
        assert!(!matches(&generate(), &hash(&secret)));
        assert!(!matches("", &hash(&secret)));
    }
}
