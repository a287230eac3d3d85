//! The write pass of `purrlist import`: chunks handed to `Store::upsert_contacts` one at a
//! time, the next read while the previous one is written.

use super::import::{BadRows, ImportArgs, line_of};
use crate::domain::bulk::{BulkItem, ItemStatus};
use crate::domain::events::Actor;
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::store::{BulkOutcome, SharedStore, StoreError};
use anyhow::{Context, bail};
use indicatif::ProgressBar;
use tokio::task::JoinHandle;

/// Rows per status, over the whole file.
#[derive(Default)]
pub(super) struct Counts {
    pub(super) created: u64,
    pub(super) updated: u64,
    pub(super) unchanged: u64,
}

/// A chunk handed to the store, with the line of each item.
pub(super) struct InFlight {
    positions: Vec<csv::Position>,
    items: Vec<BulkItem>,
    write: JoinHandle<Result<BulkOutcome, StoreError>>,
}

impl InFlight {
    pub(super) fn send(
        store: &SharedStore,
        workspace: &WorkspaceId,
        chunk: Vec<(csv::Position, BulkItem)>,
    ) -> InFlight {
        let (positions, items): (Vec<csv::Position>, Vec<BulkItem>) = chunk.into_iter().unzip();
        let store = SharedStore::clone(store);
        let workspace = workspace.clone();
        let sent = items.clone();
        let write = tokio::spawn(async move {
            store
                .upsert_contacts(workspace, sent, Timestamp::now(), Actor::Cli)
                .await
        });
        InFlight {
            positions,
            items,
            write,
        }
    }

    /// Waits for the write; rows the plan rejects (limits after merging with a stored
    /// contact) are skipped and the rest written again under --skip-invalid, else fatal.
    pub(super) async fn finish(
        self,
        store: &SharedStore,
        workspace: &WorkspaceId,
        args: &ImportArgs,
        counts: &mut Counts,
        skipped: &mut BadRows,
        progress: &ProgressBar,
    ) -> anyhow::Result<()> {
        let mut this = self;
        loop {
            let outcome = this.write.await.context("the write task failed")?;
            match outcome {
                Ok(outcome) => {
                    for result in &outcome.results {
                        match result.status {
                            ItemStatus::Created => counts.created += 1,
                            ItemStatus::Updated => counts.updated += 1,
                            ItemStatus::Unchanged => counts.unchanged += 1,
                        }
                    }
                    progress.inc(this.items.len() as u64);
                    return Ok(());
                }
                Err(StoreError::BulkRejected(errors)) => {
                    let mut rejected = BadRows::default();
                    let unknown = csv::Position::new();
                    for e in &errors {
                        let position = this.positions.get(e.index).unwrap_or(&unknown);
                        rejected.add(&args.file, position, &e.error);
                        skipped.add(&args.file, position, &e.error);
                    }
                    if !args.skip_invalid {
                        progress.finish_and_clear();
                        eprintln!(
                            "{} row(s) cannot be merged into the stored contacts; rows before line {} were written:",
                            errors.len(),
                            this.positions.first().map_or(0, |p| line_of(&args.file, p))
                        );
                        rejected.print();
                        bail!("import stopped; pass --skip-invalid to skip such rows");
                    }
                    progress.inc(errors.len() as u64);
                    let failing: std::collections::HashSet<usize> =
                        errors.iter().map(|e| e.index).collect();
                    let kept: Vec<(csv::Position, BulkItem)> = this
                        .positions
                        .into_iter()
                        .zip(this.items)
                        .enumerate()
                        .filter(|(i, _)| !failing.contains(i))
                        .map(|(_, row)| row)
                        .collect();
                    if kept.is_empty() {
                        return Ok(());
                    }
                    this = InFlight::send(store, workspace, kept);
                }
                Err(e) => return Err(e).context("cannot write contacts"),
            }
        }
    }
}
