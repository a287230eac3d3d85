//! Workspaces (Notocat's newsletters).

use super::ids::WorkspaceId;
use super::timestamp::Timestamp;

/// Longest workspace name accepted.
pub const MAX_NAME_CHARS: usize = 200;

/// A workspace: a newsletter's own set of contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// `wks_…`
    pub id: WorkspaceId,
    /// A name for people; not unique.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
}

impl Workspace {
    /// A new workspace with a fresh id.
    pub fn new(name: String, now: Timestamp) -> Workspace {
        Workspace {
            id: WorkspaceId::generate(),
            name,
            created_at: now,
        }
    }
}

/// The name of the workspace a first start makes, unless one is given.
pub const DEFAULT_NAME: &str = "My newsletter";

/// Checks a workspace name: at most 200 characters as given, not blank, no control
/// characters; returns it without leading and trailing white space.
pub fn parse_workspace_name(input: &str) -> Result<String, String> {
    let name = input.trim();
    // Counted as given, so a limit a client checks before sending is the server's limit.
    if name.is_empty() || input.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "A workspace name must be 1 to {MAX_NAME_CHARS} characters and not blank."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("A workspace name may not contain control characters.".to_owned());
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::{MAX_NAME_CHARS, parse_workspace_name};

    #[test]
    fn names_are_trimmed_and_checked() {
        assert_eq!(
            parse_workspace_name("  Cat news ").as_deref(),
            Ok("Cat news")
        );
        assert_eq!(
            parse_workspace_name("Bücher & Kätzchen").as_deref(),
            Ok("Bücher & Kätzchen")
        );
        for bad in ["", "   ", "a\nb", "tab\there", "a\u{9f}b"] {
            assert!(parse_workspace_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_limit_counts_characters_as_given() {
        let longest = "é".repeat(MAX_NAME_CHARS);
        assert_eq!(parse_workspace_name(&longest), Ok(longest.clone()));
        assert!(parse_workspace_name(&format!("{longest}x")).is_err());
        assert!(parse_workspace_name(&format!(" {longest}")).is_err());
    }
}
