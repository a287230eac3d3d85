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

/// Checks a workspace name: 1 to 200 characters after trimming, no control characters.
pub fn parse_workspace_name(input: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(format!(
            "A workspace name must be 1 to {MAX_NAME_CHARS} characters."
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("A workspace name may not contain control characters.".to_owned());
    }
    Ok(name.to_owned())
}
