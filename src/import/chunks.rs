//! The write pass: chunks of 1000 rows in groups of 50, handed to
//! `TransferStore::import_contact_chunks` (or, dry, planned by [`Earlier`] and written
//! nowhere), one group written while the next is read. A chunk the plan rejects (a row
//! that breaks a limit once merged with its stored contact, an id another contact holds)
//! stops the import after the chunks before it, or under `skip_invalid` loses its failing
//! rows and is sent again.

use super::ImportError;
use super::earlier::Earlier;
use super::report::{ImportReport, ImportStatus};
use crate::domain::bulk::ItemStatus;
use crate::domain::ids::WorkspaceId;
use crate::domain::import_plan::ImportItem;
use crate::store::{ChunkOutcomes, ImportOutcome, ImportWrite, StoreError, TransferStore};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// Chunks per group: one commit for 50,000 rows on SQLite.
pub(super) const CHUNKS_PER_GROUP: usize = 50;

/// One chunk: its place in the file's chunks, and each row with the line it starts on.
pub(super) struct Numbered {
    pub(super) index: u32,
    pub(super) rows: Vec<(u64, ImportItem)>,
}

/// Where the chunks go.
pub(super) enum Sink {
    /// Into the store.
    Write,
    /// Nowhere: planned over the store and what earlier chunks would have written.
    DryRun(Earlier),
}

type Outcomes = Result<ChunkOutcomes<ImportOutcome>, StoreError>;

enum Pending {
    Task(JoinHandle<Outcomes>),
    Ready(Outcomes),
}

struct InFlight {
    chunks: Vec<Numbered>,
    pending: Pending,
}

/// The write pass's pipeline: at most one group in flight while the next is read.
pub(super) struct Pipeline<'a> {
    pub(super) store: &'a Arc<dyn TransferStore>,
    pub(super) workspace: &'a WorkspaceId,
    pub(super) write: ImportWrite,
    pub(super) skip_invalid: bool,
    pub(super) sink: Sink,
    in_flight: Option<InFlight>,
}

impl<'a> Pipeline<'a> {
    pub(super) fn new(
        store: &'a Arc<dyn TransferStore>,
        workspace: &'a WorkspaceId,
        write: ImportWrite,
        skip_invalid: bool,
        sink: Sink,
    ) -> Pipeline<'a> {
        Pipeline {
            store,
            workspace,
            write,
            skip_invalid,
            sink,
            in_flight: None,
        }
    }

    /// Waits for the group in flight, then hands `group` on (unless the import stopped).
    pub(super) async fn send(
        &mut self,
        group: Vec<Numbered>,
        report: &mut ImportReport,
    ) -> Result<(), ImportError> {
        self.wait(report).await?;
        if report.status == ImportStatus::Done {
            self.in_flight = Some(self.start(group).await);
        }
        Ok(())
    }

    async fn start(&mut self, chunks: Vec<Numbered>) -> InFlight {
        let pending = match &mut self.sink {
            Sink::Write => {
                let items: Vec<Vec<ImportItem>> = chunks
                    .iter()
                    .map(|c| c.rows.iter().map(|(_, item)| item.clone()).collect())
                    .collect();
                let (store, workspace) = (Arc::clone(self.store), self.workspace.clone());
                let write = self.write.clone();
                Pending::Task(tokio::spawn(async move {
                    store.import_contact_chunks(workspace, items, write).await
                }))
            }
            Sink::DryRun(earlier) => Pending::Ready(
                earlier
                    .plan(self.store, self.workspace, &chunks, &self.write)
                    .await,
            ),
        };
        InFlight { chunks, pending }
    }

    /// Waits for the group in flight, if any, and counts what it did.
    pub(super) async fn wait(&mut self, report: &mut ImportReport) -> Result<(), ImportError> {
        let Some(mut flight) = self.in_flight.take() else {
            return Ok(());
        };
        loop {
            let done = match flight.pending {
                Pending::Task(task) => {
                    task.await.map_err(|e| ImportError::Task(e.to_string()))??
                }
                Pending::Ready(outcomes) => outcomes?,
            };
            for outcome in &done.outcomes {
                for result in &outcome.results {
                    match result.status {
                        ItemStatus::Created => report.created += 1,
                        ItemStatus::Updated => report.updated += 1,
                        ItemStatus::Unchanged => report.unchanged += 1,
                    }
                }
                report.kept_unsubscribed += outcome.kept_unsubscribed.len() as u64;
                report.kept_suppressed += outcome.kept_suppressed.len() as u64;
            }
            let Some(errors) = done.rejected else {
                return Ok(());
            };
            let mut rest = flight.chunks.split_off(done.outcomes.len());
            if rest.is_empty() {
                return Ok(());
            }
            let rejected = rest.remove(0);
            for e in &errors {
                let line = rejected.rows.get(e.index).map_or(0, |(line, _)| *line);
                report.bad_row(line, &e.error);
            }
            if !self.skip_invalid {
                report.status = ImportStatus::Stopped;
                report.stopped_at_line = rejected.rows.first().map(|(line, _)| *line);
                return Ok(());
            }
            report.skipped += errors.len() as u64;
            let failing: HashSet<usize> = errors.iter().map(|e| e.index).collect();
            let kept: Vec<(u64, ImportItem)> = rejected
                .rows
                .into_iter()
                .enumerate()
                .filter(|(i, _)| !failing.contains(i))
                .map(|(_, row)| row)
                .collect();
            if !kept.is_empty() {
                rest.insert(
                    0,
                    Numbered {
                        index: rejected.index,
                        rows: kept,
                    },
                );
            }
            if rest.is_empty() {
                return Ok(());
            }
            flight = self.start(rest).await;
        }
    }
}
