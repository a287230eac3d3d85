//! `purrlist workspace create|list`.

use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::parse_workspace_name;
use crate::store::SharedStore;
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
}

pub async fn run(command: WorkspaceCommand, store: &SharedStore) -> anyhow::Result<()> {
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
    }
    Ok(())
}
