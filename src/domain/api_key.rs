//! API keys: a secret shown once, stored only as its SHA-256 hash, granting every
//! workspace or a listed set, read-write or read-only.

use super::ids::{ApiKeyId, WorkspaceId, random_body};
use super::timestamp::Timestamp;
use sha2::{Digest, Sha256};
use std::fmt;

/// Every key starts with this, so it is easy to spot in a leaked file.
pub const SECRET_PREFIX: &str = "purr_";
/// Random characters after the prefix: 32 of a 64-symbol alphabet = 192 bits.
pub const SECRET_RANDOM_CHARS: usize = 32;

/// The secret a client sends as `Authorization: Bearer …`. Debug never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKeySecret(***)")
    }
}

impl ApiKeySecret {
    /// A new random secret.
    pub fn generate() -> ApiKeySecret {
        ApiKeySecret(format!(
            "{SECRET_PREFIX}{}",
            random_body(SECRET_RANDOM_CHARS)
        ))
    }

    /// Reads a secret from a bearer token; `None` when it cannot be one of ours.
    pub fn parse(token: &str) -> Option<ApiKeySecret> {
        let body = token.strip_prefix(SECRET_PREFIX)?;
        let ok = body.len() == SECRET_RANDOM_CHARS
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| ApiKeySecret(token.to_owned()))
    }

    /// The SHA-256 hash, the only form that is stored.
    pub fn hash(&self) -> KeyHash {
        KeyHash(Sha256::digest(self.0.as_bytes()).into())
    }

    /// The secret itself, to show once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// SHA-256 of a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyHash(pub [u8; 32]);

/// Which workspaces a key may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkspaceGrant {
    /// Every workspace on the server, now and later.
    All,
    /// Only these.
    Listed(Vec<WorkspaceId>),
}

impl WorkspaceGrant {
    /// Whether `workspace` is granted (existence is checked separately).
    pub fn includes(&self, workspace: &WorkspaceId) -> bool {
        match self {
            WorkspaceGrant::All => true,
            WorkspaceGrant::Listed(list) => list.contains(workspace),
        }
    }
}

/// A key as stored (without its secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// `key_…`, safe to show and log.
    pub id: ApiKeyId,
    /// A label for people.
    pub name: String,
    /// Which workspaces it reaches.
    pub grant: WorkspaceGrant,
    /// A read-only key may not write.
    pub read_only: bool,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was revoked; a revoked key authenticates nothing.
    pub revoked_at: Option<Timestamp>,
}

impl ApiKey {
    /// Whether this key may use `workspace` (existence is checked separately).
    pub fn grants(&self, workspace: &WorkspaceId) -> bool {
        self.grant.includes(workspace)
    }

    /// The one workspace this key grants, when it grants exactly one: then
    /// `newsletter_id` may be left out.
    pub fn sole_workspace(&self) -> Option<&WorkspaceId> {
        match &self.grant {
            WorkspaceGrant::Listed(list) if list.len() == 1 => list.first(),
            _ => None,
        }
    }

    /// Human summary of the grant, for `key list`.
    pub fn describe_grant(&self) -> String {
        match &self.grant {
            WorkspaceGrant::All => "all workspaces".to_owned(),
            WorkspaceGrant::Listed(list) => list
                .iter()
                .map(WorkspaceId::as_str)
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secret_parses_and_hashes_stably() {
        let s = ApiKeySecret::generate();
        let parsed = ApiKeySecret::parse(s.expose()).expect("own secret parses");
        assert_eq!(parsed.hash(), s.hash());
        assert_ne!(ApiKeySecret::generate().hash(), s.hash());
        assert_eq!(format!("{s:?}"), "ApiKeySecret(***)");
    }

    #[test]
    fn foreign_tokens_do_not_parse() {
        for bad in [
            "",
            "purr_",
            "purr_short",
            "Bearer x",
            &format!("purr_{}", "é".repeat(32)),
        ] {
            assert!(ApiKeySecret::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn listed_grant_with_one_workspace_is_sole() {
        let w = WorkspaceId::generate();
        let key = ApiKey {
            id: ApiKeyId::generate(),
            name: String::new(),
            grant: WorkspaceGrant::Listed(vec![w.clone()]),
            read_only: false,
            created_at: Timestamp::from_millis(0),
            revoked_at: None,
        };
        assert_eq!(key.sole_workspace(), Some(&w));
        assert!(key.grants(&w));
        assert!(!key.grants(&WorkspaceId::generate()));
    }
}
