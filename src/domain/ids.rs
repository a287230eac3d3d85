//! Identifiers: `wks_`, `con_`, `key_`, `imp_` and `whk_` ids and unsubscribe tokens, 21
//! nanoid characters each.
//!
//! Randomness comes from `rand::rng()`, a ChaCha CSPRNG seeded from the operating system.
//! Workspace ids, key ids and import ids are 21 random characters of a 64-symbol
//! alphabet: 126 bits that cannot be guessed. A contact id starts with its creation time
//! instead (8 characters, milliseconds) followed by 13 random characters (78 bits), so that
//! new contacts land at the end of the indexes on contact ids rather than at random places
//! in them: a million-row import took 51–52 s with random ids and 35–38 s with these
//! (bench/README.md, log 13). Contact ids are not secrets (reading one needs a key for its
//! workspace) and their creation time is in the contact already (`createdAt`).
//!
//! An unsubscribe token is a secret, so it keeps 20 characters (120 bits, what
//! reliability.md asks for) that are its own. Its first character is drawn at random too,
//! but once per second and thread, and shared by every token that thread makes in that
//! second: the tokens of one import's transaction then land in one of 64 parts of the
//! unique index on tokens, not all over it, and a commit rewrites a few hundred of the
//! index's pages instead of nearly all of them (bench/README.md, log 26). The shared
//! character tells nothing about time; someone holding a token of the same second learns
//! 6 bits of the others, which are not the 120 that are theirs alone.

use crate::domain::timestamp::Timestamp;
use rand::RngExt;
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

/// The nanoid symbols in ASCII order, so that text order is numeric order.
const ORDERED_ALPHABET: &[u8; 64] =
    b"-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
/// Characters of a time-ordered body that hold the time: 48 bits of milliseconds.
const TIME_CHARS: usize = 8;

/// A body that sorts by creation time: the current Unix time in milliseconds as
/// `TIME_CHARS` characters, then random characters up to `BODY_LEN`. Two ids made in
/// the same millisecond differ in their random part; a clock set back only costs order.
pub fn time_ordered_body() -> String {
    let millis = Timestamp::now().millis();
    let mut body: String = (0..TIME_CHARS)
        .rev()
        .map(|i| ORDERED_ALPHABET[((millis >> (6 * i)) & 63) as usize] as char)
        .collect();
    body.push_str(&random_body(BODY_LEN - TIME_CHARS));
    body
}

/// A body of `BODY_LEN` random characters.
fn random_id_body() -> String {
    random_body(BODY_LEN)
}

/// Leading characters of an unsubscribe token shared by the tokens one thread makes in
/// one second.
const TOKEN_CLUSTER_CHARS: usize = 1;

/// An unsubscribe token's body: this thread's random cluster character for the current
/// second, then `BODY_LEN - TOKEN_CLUSTER_CHARS` random characters of its own.
fn clustered_token_body() -> String {
    clustered_token_body_in(Timestamp::now().unix_seconds())
}

/// [`clustered_token_body`] in the Unix second `second`.
fn clustered_token_body_in(second: i64) -> String {
    thread_local! {
        static CLUSTER: std::cell::RefCell<(i64, String)> =
            const { std::cell::RefCell::new((0, String::new())) };
    }
    let mut body = CLUSTER.with_borrow_mut(|(drawn_in, cluster)| {
        if *drawn_in != second || cluster.is_empty() {
            *drawn_in = second;
            *cluster = random_body(TOKEN_CLUSTER_CHARS);
        }
        cluster.clone()
    });
    body.push_str(&random_body(BODY_LEN - TOKEN_CLUSTER_CHARS));
    body
}

fn is_body(s: &str) -> bool {
    s.len() == BODY_LEN && s.bytes().all(|b| ALPHABET.contains(&b))
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $body:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// The prefix every id of this kind starts with.
            pub const PREFIX: &'static str = $prefix;

            /// A new id.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, $body()))
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
    "wks_",
    random_id_body
);
prefixed_id!(
    /// A contact: `con_` + 21 characters, unique over the whole server; the first 8
    /// are its creation time, so ids sort by when they were made.
    ContactId,
    "con_",
    time_ordered_body
);
prefixed_id!(
    /// An API key's public id (never the secret): `key_` + 21 characters.
    ApiKeyId,
    "key_",
    random_id_body
);
prefixed_id!(
    /// An import run over HTTP (`POST /v1/imports`): `imp_` + 21 characters.
    ImportId,
    "imp_",
    random_id_body
);
prefixed_id!(
    /// A webhook endpoint: `whk_` + 21 characters.
    WebhookId,
    "whk_",
    random_id_body
);
prefixed_id!(
    /// An unsubscribe token: 21 characters with no prefix, unique over the whole server;
    /// the first is shared by the tokens made in the same second on the same thread.
    UnsubToken,
    "",
    clustered_token_body
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
    fn contact_ids_sort_by_creation_time_and_keep_a_random_part() {
        let earlier = ContactId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let later = ContactId::generate();
        assert!(earlier < later, "{earlier} then {later}");
        assert!(ContactId::parse(later.as_str()).is_some());
        // Made in the same millisecond or not, ids differ after the time part.
        let same_time: std::collections::HashSet<_> = (0..10_000)
            .map(|_| ContactId::generate().as_str()[4 + TIME_CHARS..].to_owned())
            .collect();
        assert_eq!(same_time.len(), 10_000);
    }

    #[test]
    fn the_time_part_is_the_time_in_milliseconds() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_millis();
        let body = time_ordered_body();
        let decoded = body[..TIME_CHARS].bytes().fold(0u128, |n, symbol| {
            let digit = ORDERED_ALPHABET.iter().position(|&c| c == symbol);
            n * 64 + digit.expect("an ordered symbol") as u128
        });
        assert!(
            decoded >= before && decoded < before + 1_000,
            "{decoded} vs {before}"
        );
    }

    #[test]
    fn ordered_alphabet_is_the_nanoid_alphabet_in_ascii_order() {
        let mut sorted = *ALPHABET;
        sorted.sort_unstable();
        assert_eq!(&sorted, ORDERED_ALPHABET);
    }

    #[test]
    fn tokens_of_one_second_share_their_first_character_and_nothing_else() {
        // Made in a loop well under a second, unless the loop crosses a second's edge:
        // then two clusters, and the larger holds most of them.
        let tokens: Vec<String> = (0..2_000)
            .map(|_| UnsubToken::generate().as_str().to_owned())
            .collect();
        let mut clusters = std::collections::HashMap::<char, usize>::new();
        for token in &tokens {
            assert_eq!(token.len(), BODY_LEN);
            assert!(UnsubToken::parse(token).is_some(), "{token}");
            *clusters
                .entry(token.chars().next().expect("a char"))
                .or_default() += 1;
        }
        assert!(clusters.len() <= 2, "{clusters:?}");
        assert!(clusters.values().any(|&n| n >= 1_000), "{clusters:?}");
        let own: std::collections::HashSet<_> =
            tokens.iter().map(|t| &t[TOKEN_CLUSTER_CHARS..]).collect();
        assert_eq!(own.len(), tokens.len());
    }

    #[test]
    fn a_new_second_draws_a_new_cluster_character() {
        // Within one second the character stays; over eight seconds, one draw each, all
        // eight equal has probability 64^-7.
        let first = |second| clustered_token_body_in(second).chars().next();
        assert!((0..100).all(|_| first(7) == first(7)));
        let firsts: std::collections::HashSet<_> = (1..=8).map(first).collect();
        assert!(firsts.len() > 1, "{firsts:?}");
    }

    #[test]
    fn ids_do_not_repeat() {
        let ids: std::collections::HashSet<_> =
            (0..10_000).map(|_| UnsubToken::generate()).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
