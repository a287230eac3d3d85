//! `purrlist privacy export --newsletter-id ID --email ADDRESS`: prints, as JSON, everything
//! the workspace keeps about one address: the same document as `POST /v1/privacy/export`
//! (`http::api::privacy_export::export_address`), for an operator answering an access
//! request from the server's shell.

use super::import::open_workspace_id;
use crate::domain::email::EmailAddress;
use crate::http::api::privacy_export::export_address;
use crate::store::ServerStore;
use anyhow::{Context, bail};

/// Which workspace and address.
#[derive(Debug, clap::Args)]
pub struct PrivacyExportArgs {
    /// The workspace (wks_…).
    #[arg(long = "newsletter-id", value_name = "ID")]
    newsletter_id: String,
    /// The address asked about.
    #[arg(long, value_name = "ADDRESS")]
    email: String,
}

/// Prints the export of `args`'s address.
pub(super) async fn export(args: PrivacyExportArgs, store: &dyn ServerStore) -> anyhow::Result<()> {
    let workspace = open_workspace_id(&args.newsletter_id)?;
    if !store.workspace_exists(&workspace).await? {
        bail!("there is no workspace {workspace}");
    }
    let email = EmailAddress::parse(&args.email)
        .map_err(|_| anyhow::anyhow!("{:?} is not an email address", args.email))?;
    let document = export_address(store, &workspace, &email).await?;
    let text = serde_json::to_string_pretty(&document).context("cannot write the export")?;
    println!("{text}");
    Ok(())
}
