//! `purrlist key create|list|revoke`.

use crate::app::create_key;
use crate::domain::api_key::WorkspaceGrant;
use crate::domain::error::DomainError;
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::{AdminStore, StoreError};
use anyhow::bail;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create an API key; prints the secret (shown only this once) as the last line.
    Create {
        /// Grant only this workspace (repeat for several); without it the key grants every workspace.
        #[arg(long = "workspace", value_name = "ID")]
        workspaces: Vec<String>,
        /// The key may read but not write.
        #[arg(long)]
        read_only: bool,
        /// A label for people.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List keys: id, access, workspaces, created, revoked, name. Never the secret.
    List,
    /// Revoke a key by its id (key_…); it stops working at once on this node, within the key cache time on others.
    Revoke {
        /// The key's id, from `key list`.
        key_id: String,
    },
}

pub async fn run(command: KeyCommand, store: &dyn AdminStore) -> anyhow::Result<()> {
    match command {
        KeyCommand::Create {
            workspaces,
            read_only,
            name,
        } => {
            let grant = if workspaces.is_empty() {
                WorkspaceGrant::All
            } else {
                let mut ids = Vec::new();
                for raw in &workspaces {
                    let Some(id) = WorkspaceId::parse(raw) else {
                        bail!("{raw:?} is not a workspace id (wks_ followed by 21 characters)");
                    };
                    ids.push(id);
                }
                ids.sort();
                ids.dedup();
                WorkspaceGrant::Listed(ids)
            };
            let (key, secret) = match create_key(store, name, grant, read_only).await {
                Err(StoreError::Domain(DomainError::UnknownWorkspace(id))) => {
                    bail!("there is no workspace {id}")
                }
                other => other?,
            };
            println!(
                "Created {} key {} for {}. Store the secret now; it is shown only this once.",
                if key.read_only {
                    "read-only"
                } else {
                    "read-write"
                },
                key.id,
                key.describe_grant()
            );
            println!("{}", secret.expose());
        }
        KeyCommand::List => {
            for key in store.list_api_keys().await? {
                println!(
                    "{}\t{}\t{}\tcreated {}\t{}\t{}",
                    key.id,
                    if key.read_only {
                        "read-only"
                    } else {
                        "read-write"
                    },
                    key.describe_grant(),
                    key.created_at.to_rfc3339(),
                    key.revoked_at.map_or_else(
                        || "active".to_owned(),
                        |t| format!("revoked {}", t.to_rfc3339())
                    ),
                    key.name,
                );
            }
        }
        KeyCommand::Revoke { key_id } => {
            let Some(id) = ApiKeyId::parse(&key_id) else {
                bail!(
                    "{key_id:?} is not a key id (key_ followed by 21 characters; see `purrlist key list`)"
                );
            };
            if !store.revoke_api_key(&id, Timestamp::now()).await? {
                bail!("there is no key {id}");
            }
            println!("Revoked {id}.");
        }
    }
    Ok(())
}
