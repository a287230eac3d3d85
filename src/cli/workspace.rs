//! `purrlist workspace create|list|rename`.

use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::parse_workspace_name;
use crate::store::AdminStore;
use anyhow::Context;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum WorkspaceCommand {
    /// Create a workspace; prints its id as the last line.
    Create {
        /// A name for people.
        #[arg(long)]
        name: String,
    },
    /// List workspaces: id, creation time, name.
    List,
    /// Rename a workspace: the name subscribers see on the unsubscribe page.
    Rename {
        /// The workspace id (`wks_…`).
        id: String,
        /// The new name: up to 200 characters, no control characters.
        #[arg(long)]
        name: String,
    },
}

pub async fn run(command: WorkspaceCommand, store: &dyn AdminStore) -> anyhow::Result<()> {
    match command {
        WorkspaceCommand::Create { name } => {
            let name = parse_workspace_name(&name).map_err(anyhow::Error::msg)?;
            let workspace = store.create_workspace(name, Timestamp::now()).await?;
            println!("Created workspace \"{}\".", workspace.name);
            println!("{}", workspace.id);
        }
        WorkspaceCommand::List => {
            for w in store.list_workspaces().await? {
                println!("{}\t{}\t{}", w.id, w.created_at.to_rfc3339(), w.name);
            }
        }
        WorkspaceCommand::Rename { id, name } => {
            let name = parse_workspace_name(&name).map_err(anyhow::Error::msg)?;
            let no_such = || format!("there is no workspace {id} (see `purrlist workspace list`)");
            let parsed = WorkspaceId::parse(&id).with_context(no_such)?;
            let workspace = store
                .rename_workspace(&parsed, name)
                .await?
                .with_context(no_such)?;
            println!(
                "Renamed workspace {} to \"{}\".",
                workspace.id, workspace.name
            );
        }
    }
    Ok(())
}
