//! `purrlist import --workspace ID FILE [--format F] [--map "COLUMN=field"]...
//! [--ignore COLUMN]... [--dry-run] [--skip-invalid] [--resubscribe] [--override-suppression]`: a file from another
//! newsletter tool moved in through the import engine (`crate::import`), and its report
//! printed: the format, the renamed columns, the counts, the bad rows by physical line.
//! A dry run prints what a real run would, and says nothing was written.

mod progress;

use crate::domain::ids::WorkspaceId;
use crate::domain::import_format::{ColumnMapping, Format};
use crate::import::{ImportOptions, ImportReport, ImportStatus, run_import};
use crate::store::{AdminStore, TransferStore};
use anyhow::{Context, bail};
use std::path::PathBuf;
use std::sync::Arc;

/// What to import, where, and how.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The workspace to import into (wks_…).
    #[arg(long, value_name = "ID")]
    workspace: String,
    /// The file: CSV with a header row, or NDJSON (one contact object per line).
    file: PathBuf,
    /// The format (purrlist, mailchimp, substack, ghost, listmonk, buttondown, kit,
    /// beehiiv, resend, csv, ndjson); detected from the header when left out.
    #[arg(long, value_name = "F")]
    format: Option<String>,
    /// A column's meaning: "COLUMN=field", the field one of email, name, first_name,
    /// last_name, subscribed, unsubscribed, createdAt, tags or custom_fields.KEY. Repeatable.
    #[arg(long = "map", value_name = "COLUMN=field")]
    map: Vec<String>,
    /// A column to leave out. Repeatable.
    #[arg(long = "ignore", value_name = "COLUMN")]
    ignore: Vec<String>,
    /// Check and plan everything, print the report, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Write the good rows and report the bad ones, instead of refusing the whole file.
    #[arg(long)]
    skip_invalid: bool,
    /// Let rows that say subscribed turn unsubscribed contacts back to subscribed (only
    /// with the people's renewed consent).
    #[arg(long)]
    resubscribe: bool,
    /// Let rows subscribe addresses that are suppressed here (bounced, complained, manual,
    /// erased), lifting the suppression (only with the people's renewed consent).
    #[arg(long)]
    override_suppression: bool,
}

impl ImportArgs {
    fn options(&self) -> anyhow::Result<ImportOptions> {
        let format = match &self.format {
            Some(name) => Some(Format::from_name(name).with_context(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("--format {name:?} is not one of {}", names.join(", "))
            })?),
            None => None,
        };
        let mut mapping = ColumnMapping::new();
        for argument in &self.map {
            mapping.map(argument)?;
        }
        for column in &self.ignore {
            mapping.ignore(column)?;
        }
        Ok(ImportOptions {
            format,
            mapping,
            dry_run: self.dry_run,
            resubscribe: self.resubscribe,
            override_suppression: self.override_suppression,
            skip_invalid: self.skip_invalid,
            requested_by: None,
        })
    }
}

pub(super) fn open_workspace_id(id: &str) -> anyhow::Result<WorkspaceId> {
    WorkspaceId::parse(id).with_context(|| format!("{id:?} is not a workspace id (wks_…)"))
}

pub async fn run(
    args: ImportArgs,
    admin: &dyn AdminStore,
    store: Arc<dyn TransferStore>,
) -> anyhow::Result<()> {
    let workspace = open_workspace_id(&args.workspace)?;
    let options = args.options()?;
    if !admin.workspace_exists(&workspace).await? {
        bail!("there is no workspace {workspace}");
    }
    let bar = progress::Bar::new();
    let report = run_import(store, workspace.clone(), &args.file, &options, &bar).await;
    bar.finish();
    let report = report.with_context(|| format!("{} is refused", args.file.display()))?;
    print(&args, &workspace, &report)
}

fn print(args: &ImportArgs, workspace: &WorkspaceId, report: &ImportReport) -> anyhow::Result<()> {
    let file = args.file.display();
    let detected = if args.format.is_some() {
        "given"
    } else {
        "detected"
    };
    println!("Format: {} ({detected})", report.format.name());
    for r in &report.renamings {
        println!(
            "Column {} {:?} is imported as the custom field {:?}.",
            r.column, r.header, r.key
        );
    }
    let written = if report.dry_run {
        "would be written"
    } else {
        "were written"
    };
    match report.status {
        ImportStatus::Refused => {
            eprintln!(
                "{file} is refused: {} of {} row(s) are invalid; nothing was written.",
                report.bad_row_count, report.rows_read
            );
            print_bad_rows(report);
            bail!("fix the rows above, or pass --skip-invalid to import only the valid rows");
        }
        ImportStatus::Stopped => {
            eprintln!(
                "{} row(s) cannot be merged into the stored contacts; rows before line {} {written}:",
                report.bad_row_count,
                report.stopped_at_line.unwrap_or(0)
            );
            print_bad_rows(report);
            bail!("import stopped; pass --skip-invalid to skip such rows");
        }
        ImportStatus::Done => {}
    }
    if report.bad_row_count > 0 {
        eprintln!("Skipped {} invalid row(s):", report.bad_row_count);
        print_bad_rows(report);
    }
    let verb = if report.dry_run {
        "Dry run of"
    } else {
        "Imported"
    };
    println!(
        "{verb} {file} into {workspace}: {} created, {} updated, {} unchanged, {} skipped, {} kept unsubscribed.",
        report.created, report.updated, report.unchanged, report.skipped, report.kept_unsubscribed
    );
    if report.kept_unsubscribed > 0 && !args.resubscribe {
        println!(
            "{} row(s) said subscribed for contacts that are unsubscribed here; they stayed unsubscribed (--resubscribe overrides, with the people's renewed consent).",
            report.kept_unsubscribed
        );
    }
    if report.kept_suppressed > 0 {
        println!(
            "{} row(s) kept suppressed: their addresses are suppressed here (an erased one is left out); --override-suppression overrides, with the people's renewed consent.",
            report.kept_suppressed
        );
    }
    if report.dry_run {
        println!("Dry run: nothing was written.");
    }
    Ok(())
}

fn print_bad_rows(report: &ImportReport) {
    for row in &report.bad_rows {
        eprintln!("  line {}: {}: {}", row.line, row.field, row.message);
    }
    let listed = report.bad_rows.len() as u64;
    if report.bad_row_count > listed {
        eprintln!("  … and {} more", report.bad_row_count - listed);
    }
}
