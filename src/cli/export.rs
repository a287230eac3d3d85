//! `purrlist export --workspace ID [--output FILE]`: the contacts of a workspace as CSV in
//! list order (createdAt, id), the columns `import` reads (custom fields: the sorted union
//! of keys). Read page by page, twice: once
//! for the union of custom-field keys (the header), once to write.

use super::import::open_workspace_id;
use crate::domain::contact::Contact;
use crate::domain::csv_columns::{export_header, export_row};
use crate::domain::ids::ContactId;
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::store::SharedStore;
use anyhow::{Context, bail};
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;

const PAGE: u32 = 1000;

/// Which workspace, and where to write.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The workspace to export (wks_…).
    #[arg(long, value_name = "ID")]
    workspace: String,
    /// The file to write (default: standard output).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Calls `each` with every page of the workspace, in list order.
async fn pages(
    store: &SharedStore,
    workspace: &WorkspaceId,
    mut each: impl FnMut(&[Contact]) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut after: Option<(Timestamp, ContactId)> = None;
    loop {
        let page = store
            .export_contacts(workspace, after.clone(), PAGE)
            .await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some((last.created_at, last.id.clone()));
        each(&page)?;
    }
}

pub async fn run(args: ExportArgs, store: &SharedStore) -> anyhow::Result<()> {
    let workspace = open_workspace_id(&args.workspace)?;
    if !store.workspace_exists(&workspace).await? {
        bail!("there is no workspace {workspace}");
    }
    let mut keys: Vec<String> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    pages(store, &workspace, |page| {
        for contact in page {
            for key in contact.custom_fields.as_map().keys() {
                if seen.insert(key.clone()) {
                    keys.push(key.clone());
                }
            }
        }
        Ok(())
    })
    .await?;
    // Sorted, so the same contacts always give the same header.
    keys.sort_unstable();

    let sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(std::io::BufWriter::new(sink));
    writer.write_record(export_header(&keys))?;
    let mut count = 0u64;
    pages(store, &workspace, |page| {
        for contact in page {
            if contact
                .custom_fields
                .as_map()
                .keys()
                .any(|k| !seen.contains(k))
            {
                bail!("the workspace changed during the export (a new custom field); run it again");
            }
            writer.write_record(export_row(contact, &keys))?;
            count += 1;
        }
        Ok(())
    })
    .await?;
    writer.flush().context("cannot write the CSV")?;
    if let Some(path) = &args.output {
        eprintln!(
            "Exported {count} contact(s) of {workspace} to {}.",
            path.display()
        );
    }
    Ok(())
}
