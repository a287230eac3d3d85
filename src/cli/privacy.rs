//! `purrlist privacy export|erase`: answering a person's request about their data from the
//! command line, with the rules of `POST /v1/privacy/export` and `/v1/privacy/erase`
//! (an erasure is recorded as the `cli` actor).
//! Each action is one variant of [`PrivacyCommand`] and one arm of [`run`].

use crate::domain::email::EmailAddress;
use crate::domain::events::Actor;
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::store::ServerStore;
use anyhow::Context;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// Print everything kept about one address (contact, history with evidence) as JSON.
    Export(super::privacy_export::PrivacyExportArgs),
    /// Erase an address: delete its contact, strip its personal data from the change feed,
    /// and keep only a salted hash so no import or sync brings it back.
    Erase {
        /// The workspace (`wks_…`).
        #[arg(long, value_name = "ID")]
        newsletter_id: String,
        /// The address to erase.
        #[arg(long)]
        email: String,
    },
}

/// The workspace `id` names, if it exists.
async fn workspace(store: &dyn ServerStore, id: &str) -> anyhow::Result<WorkspaceId> {
    let no_such = || format!("there is no workspace {id} (see `purrlist workspace list`)");
    let parsed = WorkspaceId::parse(id).with_context(no_such)?;
    if !store.workspace_exists(&parsed).await? {
        anyhow::bail!(no_such());
    }
    Ok(parsed)
}

pub async fn run(command: PrivacyCommand, store: &dyn ServerStore) -> anyhow::Result<()> {
    match command {
        PrivacyCommand::Export(args) => super::privacy_export::export(args, store).await?,
        PrivacyCommand::Erase {
            newsletter_id,
            email,
        } => {
            let workspace = workspace(store, &newsletter_id).await?;
            let email = EmailAddress::parse(&email)
                .map_err(|e| anyhow::anyhow!("not a valid email address: {e}"))?;
            let outcome = store
                .erase_address(&workspace, &email, Actor::Cli.into(), Timestamp::now())
                .await?;
            match &outcome.contact_id {
                Some(id) => println!("Erased contact {id}."),
                None => println!("No contact had this address; it is kept out from now on."),
            }
            println!(
                "Stripped personal data from {} event(s) of the change feed.",
                outcome.events_scrubbed
            );
            println!("{}", outcome.suppression.id);
        }
    }
    Ok(())
}
