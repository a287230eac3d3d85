//! `purrlist import --workspace ID FILE.csv`: contacts from a CSV file, upserted with the
//! bulk rules (`domain::csv_columns` reads rows into bulk items; `Store::upsert_contacts`
//! applies `domain::bulk::plan_bulk` to each chunk). The file is read twice, streaming:
//! once to check every row (a bad row refuses the file before anything is written), once
//! to write, so memory stays bounded whatever the file's size.

use super::import_chunks::{CHUNKS_PER_GROUP, Chunk, Writes};
use crate::domain::bulk::{BulkItem, MAX_BULK_ITEMS};
use crate::domain::csv_columns::CsvColumns;
use crate::domain::ids::WorkspaceId;
use crate::domain::patch_input::FieldError;
use crate::store::SharedStore;
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// Bad rows listed one by one; the rest are counted.
const LISTED: usize = 50;

/// What to import, where, and what to do with bad rows.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The workspace to import into (wks_…).
    #[arg(long, value_name = "ID")]
    workspace: String,
    /// The CSV file: a header row, then one contact per row.
    pub(super) file: PathBuf,
    /// Write the good rows and report the bad ones, instead of refusing the whole file.
    #[arg(long)]
    pub(super) skip_invalid: bool,
}

/// The bad rows met so far: the first few in full, the others counted.
#[derive(Default)]
pub(super) struct BadRows {
    listed: Vec<String>,
    count: u64,
}

impl BadRows {
    pub(super) fn add(&mut self, path: &Path, position: &csv::Position, error: &FieldError) {
        self.count += 1;
        if self.listed.len() < LISTED {
            let line = line_of(path, position);
            self.listed
                .push(format!("line {line}: {}: {}", error.field, error.message));
        }
    }

    pub(super) fn print(&self) {
        for row in &self.listed {
            eprintln!("  {row}");
        }
        if self.count > self.listed.len() as u64 {
            eprintln!("  … and {} more", self.count - self.listed.len() as u64);
        }
    }
}

pub(super) fn open_workspace_id(id: &str) -> anyhow::Result<WorkspaceId> {
    WorkspaceId::parse(id).with_context(|| format!("{id:?} is not a workspace id (wks_…)"))
}

fn open_csv(path: &Path) -> anyhow::Result<(csv::Reader<BufReader<File>>, CsvColumns)> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 20, file));
    let header = reader
        .headers()
        .with_context(|| format!("cannot read the header row of {}", path.display()))?;
    let columns = CsvColumns::from_header(header.iter())
        .with_context(|| format!("{} is refused", path.display()))?;
    Ok((reader, columns))
}

/// Each data row as (where it starts, the item or why it is bad); a read error ends the file.
fn rows(
    reader: &mut csv::Reader<BufReader<File>>,
    columns: &CsvColumns,
) -> impl Iterator<Item = anyhow::Result<(csv::Position, Result<BulkItem, FieldError>)>> {
    let mut record = csv::StringRecord::new();
    std::iter::from_fn(move || match reader.read_record(&mut record) {
        Ok(false) => None,
        Ok(true) => {
            let position = record
                .position()
                .cloned()
                .unwrap_or_else(csv::Position::new);
            Some(Ok((position, columns.item(record.iter()))))
        }
        Err(e) => match (e.kind(), e.position()) {
            (csv::ErrorKind::Utf8 { .. }, Some(position)) => Some(Ok((
                position.clone(),
                Err(FieldError::new(
                    "row",
                    "invalid_field",
                    "The row is not valid UTF-8.",
                )),
            ))),
            _ => Some(Err(anyhow::Error::new(e).context("cannot read the file"))),
        },
    })
}

/// The line a row starts on, for people. With CRLF line ends the reader reports a row as
/// starting at the LF that ended the previous one, so that byte counts as the line before.
pub(super) fn line_of(path: &Path, position: &csv::Position) -> u64 {
    use std::io::{Read, Seek, SeekFrom};
    let mut byte = [0u8; 1];
    let starts_with_lf = File::open(path)
        .and_then(|mut f| {
            f.seek(SeekFrom::Start(position.byte()))?;
            f.read_exact(&mut byte)
        })
        .is_ok_and(|()| byte[0] == b'\n');
    position.line() + u64::from(starts_with_lf)
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let template = format!("{{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left)");
    ProgressBar::new(len).with_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    )
}

pub async fn run(args: ImportArgs, store: &SharedStore) -> anyhow::Result<()> {
    let workspace = open_workspace_id(&args.workspace)?;
    if !store.workspace_exists(&workspace).await? {
        bail!("there is no workspace {workspace}");
    }

    // Pass 1: check every row.
    let (mut reader, columns) = open_csv(&args.file)?;
    let checking = ProgressBar::new_spinner().with_message("checking rows");
    let mut bad = BadRows::default();
    let mut total = 0u64;
    for row in rows(&mut reader, &columns) {
        let (position, item) = row?;
        total += 1;
        if let Err(error) = item {
            bad.add(&args.file, &position, &error);
        }
        if total % 10_000 == 0 {
            checking.set_position(total);
        }
    }
    checking.finish_and_clear();
    if bad.count > 0 && !args.skip_invalid {
        eprintln!(
            "{} is refused: {} of {total} row(s) are invalid; nothing was written.",
            args.file.display(),
            bad.count
        );
        bad.print();
        bail!("fix the rows above, or pass --skip-invalid to import only the valid rows");
    }

    // Pass 2: write, one group of chunks in flight while the next is read.
    let (mut reader, columns) = open_csv(&args.file)?;
    let progress = bar(total, "rows");
    let mut writes = Writes::new(store, &workspace, &args, &progress);
    let mut chunk: Chunk = Vec::with_capacity(MAX_BULK_ITEMS);
    let mut group: Vec<Chunk> = Vec::with_capacity(CHUNKS_PER_GROUP);
    let mut rows = rows(&mut reader, &columns);
    loop {
        let row = rows.next().transpose()?;
        let at_end = row.is_none();
        if let Some((position, item)) = row {
            match item {
                Ok(item) => chunk.push((position, item)),
                Err(error) => {
                    writes.skipped.add(&args.file, &position, &error);
                    progress.inc(1);
                }
            }
        }
        if chunk.len() == MAX_BULK_ITEMS || (at_end && !chunk.is_empty()) {
            group.push(std::mem::take(&mut chunk));
        }
        if group.len() == CHUNKS_PER_GROUP || (at_end && !group.is_empty()) {
            writes.send(std::mem::take(&mut group)).await?;
        }
        if at_end {
            break;
        }
    }
    writes.wait().await?;
    let Writes {
        counts, skipped, ..
    } = writes;
    progress.finish_and_clear();

    if skipped.count > 0 {
        eprintln!("Skipped {} invalid row(s):", skipped.count);
        skipped.print();
    }
    println!(
        "Imported {} into {workspace}: {} created, {} updated, {} unchanged, {} skipped.",
        args.file.display(),
        counts.created,
        counts.updated,
        counts.unchanged,
        skipped.count
    );
    Ok(())
}
