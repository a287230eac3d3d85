//! Identifiers: `wks_` and `con_` ids and unsubscribe tokens, 21 nanoid characters each.
//!
//! Every id comes from `rand::rng()`, a ChaCha CSPRNG seeded from the operating system,
//! so 21 characters of a 64-symbol alphabet carry 126 bits that cannot be guessed.

use rand::Rng;
use std::fmt;

/// The nanoid alphabet: `A-Za-z0-9_-`.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
/// Length of the random body of every id and token.
pub const BODY_LEN: usize = 21;

/// Draws `len` characters of the nanoid alphabet from the CSPRNG.
pub fn random_body(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

fn is_body(s: &str) -> bool {
    s.len() == BODY_LEN && s.bytes().all(|b| ALPHABET.contains(&b))
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// A new random id.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, random_body(BODY_LEN)))
            }

            /// Parses an id given by a client; `None` when it is not of the right shape.
            pub fn parse(input: &str) -> Option<Self> {
                input
                    .strip_prefix($prefix)
                    .filter(|body| is_body(body))
                    .map(|_| Self(input.to_owned()))
            }

            /// An id read back from storage, trusted as written.
            pub fn from_stored(value: String) -> Self {
                Self(value)
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

prefixed_id!(
    /// A workspace (Notocat calls it a newsletter): `wks_` + 21 characters.
    WorkspaceId,
    "wks_"
);
prefixed_id!(
    /// A contact: `con_` + 21 characters, unique over the whole server.
    ContactId,
    "con_"
);
prefixed_id!(
    /// An API key's public id (never the secret): `key_` + 21 characters.
    ApiKeyId,
    "key_"
);
prefixed_id!(
    /// An unsubscribe token: 21 characters with no prefix, unique over the whole server.
    UnsubToken,
    ""
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_have_prefix_and_21_alphabet_chars() {
        let id = ContactId::generate();
        assert_eq!(id.as_str().len(), 25);
        assert!(ContactId::parse(id.as_str()).is_some());
        assert_eq!(UnsubToken::generate().as_str().len(), 21);
        assert!(WorkspaceId::generate().as_str().starts_with("wks_"));
    }

    #[test]
    fn malformed_ids_do_not_parse() {
        for bad in [
            "",
            "con_",
            "con_short",
            "wks_D6zCfeVDaAAT-b9dl9SIE",
            "con_D6zCfeVDaAAT-b9dl9SIE1",
            "con_D6zCfeVDaAAT-b9dl9S!E",
            "con_D6zCfeVDaAAT-b9dl9SIé",
        ] {
            assert!(ContactId::parse(bad).is_none(), "{bad}");
        }
        assert!(ContactId::parse("con_D6zCfeVDaAAT-b9dl9SIE").is_some());
    }

    #[test]
    fn ids_do_not_repeat() {
        let ids: std::collections::HashSet<_> =
            (0..10_000).map(|_| UnsubToken::generate()).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
