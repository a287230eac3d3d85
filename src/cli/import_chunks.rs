//! The write pass of `purrlist import`: groups of 1000-row chunks handed to
//! `Store::upsert_contact_chunks` (each chunk planned by `domain::bulk::plan_bulk`), one
//! group written while the next is read.

use super::import::{BadRows, ImportArgs, line_of};
use crate::domain::bulk::{BulkItem, ItemStatus};
use crate::domain::events::Actor;
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::store::{ChunkOutcomes, SharedStore, StoreError};
use anyhow::{Context, bail};
use indicatif::ProgressBar;
use std::collections::HashSet;
use tokio::task::JoinHandle;

/// Chunks per group: one commit for 50,000 rows on SQLite.
pub(super) const CHUNKS_PER_GROUP: usize = 50;

/// One chunk: each item with where its row starts in the file.
pub(super) type Chunk = Vec<(csv::Position, BulkItem)>;

/// Rows per status, over the whole file.
#[derive(Default)]
pub(super) struct Counts {
    pub(super) created: u64,
    pub(super) updated: u64,
    pub(super) unchanged: u64,
}

/// The write pass's pipeline: at most one group in flight while the next is read, and
/// what the finished groups added up to.
pub(super) struct Writes<'a> {
    store: &'a SharedStore,
    workspace: &'a WorkspaceId,
    args: &'a ImportArgs,
    progress: &'a ProgressBar,
    in_flight: Option<InFlight>,
    pub(super) counts: Counts,
    pub(super) skipped: BadRows,
}

impl<'a> Writes<'a> {
    pub(super) fn new(
        store: &'a SharedStore,
        workspace: &'a WorkspaceId,
        args: &'a ImportArgs,
        progress: &'a ProgressBar,
    ) -> Writes<'a> {
        Writes {
            store,
            workspace,
            args,
            progress,
            in_flight: None,
            counts: Counts::default(),
            skipped: BadRows::default(),
        }
    }

    /// Waits for the group in flight, then hands `group` to the store.
    pub(super) async fn send(&mut self, group: Vec<Chunk>) -> anyhow::Result<()> {
        self.wait().await?;
        self.in_flight = Some(InFlight::send(self.store, self.workspace, group));
        Ok(())
    }

    /// Waits for the group in flight, if any.
    pub(super) async fn wait(&mut self) -> anyhow::Result<()> {
        match self.in_flight.take() {
            Some(group) => {
                group
                    .finish(
                        self.store,
                        self.workspace,
                        self.args,
                        &mut self.counts,
                        &mut self.skipped,
                        self.progress,
                    )
                    .await
            }
            None => Ok(()),
        }
    }
}

/// A group handed to the store; the chunks are kept to write again after a rejection.
pub(super) struct InFlight {
    chunks: Vec<Chunk>,
    write: JoinHandle<Result<ChunkOutcomes, StoreError>>,
}

impl InFlight {
    fn send(store: &SharedStore, workspace: &WorkspaceId, chunks: Vec<Chunk>) -> InFlight {
        let items: Vec<Vec<BulkItem>> = chunks
            .iter()
            .map(|chunk| chunk.iter().map(|(_, item)| item.clone()).collect())
            .collect();
        let store = SharedStore::clone(store);
        let workspace = workspace.clone();
        let write = tokio::spawn(async move {
            store
                .upsert_contact_chunks(workspace, items, Timestamp::now(), Actor::Cli)
                .await
        });
        InFlight { chunks, write }
    }

    /// Waits for the write. Rows a plan rejects (limits after merging with a stored
    /// contact) are skipped and the rest sent again under --skip-invalid, else fatal.
    async fn finish(
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
            let done = this
                .write
                .await
                .context("the write task failed")?
                .context("cannot write contacts")?;
            let written = done.outcomes.len();
            for outcome in &done.outcomes {
                for result in &outcome.results {
                    match result.status {
                        ItemStatus::Created => counts.created += 1,
                        ItemStatus::Updated => counts.updated += 1,
                        ItemStatus::Unchanged => counts.unchanged += 1,
                    }
                }
                progress.inc(outcome.results.len() as u64);
            }
            let Some(errors) = done.rejected else {
                return Ok(());
            };
            let mut rest = this.chunks.split_off(written);
            let rejected_chunk = rest.remove(0);
            let unknown = csv::Position::new();
            let mut rejected = BadRows::default();
            for e in &errors {
                let position = rejected_chunk.get(e.index).map_or(&unknown, |(p, _)| p);
                rejected.add(&args.file, position, &e.error);
                skipped.add(&args.file, position, &e.error);
            }
            if !args.skip_invalid {
                progress.finish_and_clear();
                let first = rejected_chunk
                    .first()
                    .map_or(0, |(p, _)| line_of(&args.file, p));
                eprintln!(
                    "{} row(s) cannot be merged into the stored contacts; rows before line {first} were written:",
                    errors.len()
                );
                rejected.print();
                bail!("import stopped; pass --skip-invalid to skip such rows");
            }
            progress.inc(errors.len() as u64);
            let failing: HashSet<usize> = errors.iter().map(|e| e.index).collect();
            let kept: Chunk = rejected_chunk
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !failing.contains(i))
                .map(|(_, row)| row)
                .collect();
            if !kept.is_empty() {
                rest.insert(0, kept);
            }
            if rest.is_empty() {
                return Ok(());
            }
            this = InFlight::send(store, workspace, rest);
        }
    }
}
