//! The privacy-export capability: which contacts' histories mention an address, so an
//! access request finds a contact that was deleted, or whose email changed, as well as
//! the one holding the address now.

use super::StoreError;
use crate::domain::ids::{ContactId, WorkspaceId};
use async_trait::async_trait;

/// A LIKE (or ILIKE) pattern that matches, anywhere in an event's stored JSON, every
/// spelling of an address whose normal form is `normal` (`domain::email`), so the scan's
/// superset holds each past holder however its address was written:
/// - ASCII characters stay (LIKE and ILIKE compare ASCII letters case-insensitively, as
///   the normal form does); a non-ASCII character becomes `_` (any one character), since
///   the database may fold its case or not;
/// - a character JSON may escape (`"`, `\`, controls) becomes `%`, and `%` and `_` in the
///   address are escaped;
/// - for an internationalised domain only `local@` is kept, since the history may hold its
///   Unicode or its `xn--` spelling.
pub fn spellings_pattern(normal: &str) -> String {
    let (local, domain) = normal.rsplit_once('@').unwrap_or((normal, ""));
    let idn = !domain.is_ascii() || domain.split('.').any(|label| label.starts_with("xn--"));
    let text = if idn {
        format!("{local}@")
    } else {
        normal.to_owned()
    };
    let mut pattern = String::from("%");
    for c in text.chars() {
        match c {
            '%' | '_' => {
                pattern.push('\\');
                pattern.push(c);
            }
            '"' | '\\' => pattern.push('%'),
            c if c.is_ascii_control() => pattern.push('%'),
            c if c.is_ascii() => pattern.push(c),
            _ => pattern.push('_'),
        }
    }
    pattern.push('%');
    pattern
}

/// Reads for answering an access request (api.md §8).
#[async_trait]
pub trait PrivacyExportStore: Send + Sync + 'static {
    /// Contacts of `workspace` with an event whose recorded changes may hold a spelling
    /// of the address whose normal form is `email` ([`spellings_pattern`]; a superset the
    /// caller narrows down by normal form), in the order of their first such event. Reads
    /// the whole feed of the workspace: meant for the occasional access request, not for a
    /// hot path.
    async fn contacts_mentioning(
        &self,
        workspace: &WorkspaceId,
        email: &str,
    ) -> Result<Vec<ContactId>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::spellings_pattern;

    #[test]
    fn the_pattern_lets_every_spelling_of_the_address_through() {
        assert_eq!(spellings_pattern("noto@example.com"), "%noto@example.com%");
        assert_eq!(spellings_pattern("josÉ@example.com"), "%jos_@example.com%");
        assert_eq!(
            spellings_pattern("\u{212A}ate@example.com"),
            "%_ate@example.com%"
        );
        assert_eq!(spellings_pattern("user@bücher.de"), "%user@%");
        assert_eq!(spellings_pattern("user@xn--bcher-kva.de"), "%user@%");
        assert_eq!(spellings_pattern("a_b%c@x.org"), "%a\\_b\\%c@x.org%");
        assert_eq!(spellings_pattern("\"q\\x\"@x.org"), "%%q%x%@x.org%");
    }
}
