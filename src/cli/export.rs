//! `purrlist export --workspace ID [--format csv|ndjson] [--output FILE [--force]]`: the
//! contacts of a workspace in list order (createdAt, id), with everything a move to another
//! purrlist keeps (ids, unsubscribe tokens, both times, the suppression of each address),
//! in the same bytes as `GET /v1/contacts/export` (`http::api::contacts_export::ExportEncoder`;
//! the columns are `domain::contact_export`'s). Read page by page (`store::ContactPages`,
//! and one suppression lookup a page), so memory stays flat whatever the size; a CSV
//! export reads twice, first for the custom-field keys of its header. Progress (rows/s,
//! ETA) shows on a terminal only. An existing `--output` file is refused unless `--force`,
//! as `backup --to` refuses.

use super::import::open_workspace_id;
use crate::domain::contact_export::ExportFormat;
use crate::http::api::contacts_export::{EXPORT_PAGE, ExportEncoder};
use crate::store::{AdminStore, ContactPages, TransferStore};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Which workspace, in which format, and where to write.
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The workspace to export (wks_…).
    #[arg(long, value_name = "ID")]
    workspace: String,
    /// csv (a header row, then one contact a row) or ndjson (one contact a line, as the API shows it).
    #[arg(long, value_name = "FORMAT", default_value = "csv", value_parser = parse_format)]
    format: ExportFormat,
    /// The file to write (default: standard output); created readable by its owner only.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Overwrite the --output file if it exists.
    #[arg(long, requires = "output")]
    force: bool,
}

fn parse_format(text: &str) -> Result<ExportFormat, String> {
    ExportFormat::parse(text).ok_or_else(|| format!("must be {}", ExportFormat::NAMES))
}

/// Opens `path` for the export: a new file (0600 on Unix: it holds personal data), or,
/// with `force`, an existing one emptied.
fn create_output(path: &std::path::Path, force: bool) -> anyhow::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            anyhow::anyhow!(
                "{} already exists; choose a new file name, or pass --force to overwrite it",
                path.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("cannot create {}", path.display()))
        }
    })
}

/// A bar on a terminal; nothing at all in a script (stderr not a terminal).
fn progress(len: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let template = format!("{{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)");
    ProgressBar::new(len).with_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    )
}

pub async fn run(
    args: ExportArgs,
    admin: &dyn AdminStore,
    store: &dyn TransferStore,
) -> anyhow::Result<()> {
    let workspace = open_workspace_id(&args.workspace)?;
    if !admin.workspace_exists(&workspace).await? {
        bail!("there is no workspace {workspace}");
    }
    // Opened first, so an existing file is refused before the workspace is read.
    let sink: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(create_output(path, args.force)?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut sink = std::io::BufWriter::with_capacity(1 << 20, sink);
    let total = store.count_contacts(&workspace).await?;

    // A CSV export's first read (the custom-field keys of its header) has a bar of its own.
    let keys = match args.format {
        ExportFormat::Csv => progress(total, "contacts read for the CSV header"),
        ExportFormat::Ndjson => ProgressBar::hidden(),
    };
    let encoder = ExportEncoder::prepare(args.format, store, &workspace, |n| keys.inc(n)).await?;
    keys.finish_and_clear();

    let rows = progress(total, "contacts");
    sink.write_all(&encoder.header())
        .context("cannot write the export")?;
    let mut pages = ContactPages::new(workspace.clone(), EXPORT_PAGE);
    let mut count = 0u64;
    loop {
        let page = pages.next(store).await?;
        if page.is_empty() {
            break;
        }
        let n = page.len() as u64;
        let bytes = encoder.page(store, &workspace, page).await?;
        sink.write_all(&bytes).context("cannot write the export")?;
        count += n;
        rows.inc(n);
    }
    sink.flush().context("cannot write the export")?;
    rows.finish_and_clear();
    if let Some(path) = &args.output {
        eprintln!(
            "Exported {count} contact(s) of {workspace} to {}.",
            path.display()
        );
    }
    Ok(())
}
