//! The import jobs' counters for `/metrics`, per process like the request counters.

use crate::domain::import_job::ImportStatus;
use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Jobs accepted and ended (by status), rows written, jobs running.
#[derive(Clone, Default)]
pub struct ImportMetrics(Arc<Counters>);

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    ended: [AtomicU64; ImportStatus::ALL.len()],
    rows_written: AtomicU64,
    running: AtomicU64,
}

/// Counts one job as running while it is held.
pub struct RunningGuard(ImportMetrics);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.0.0.running.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ImportMetrics {
    /// A job was accepted.
    pub fn accepted(&self) {
        self.0.accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// `count` jobs ended with `status`.
    pub fn ended(&self, status: ImportStatus, count: u64) {
        if let Some(i) = ImportStatus::ALL.iter().position(|s| *s == status) {
            self.0.ended[i].fetch_add(count, Ordering::Relaxed);
        }
    }

    /// A job wrote `rows` rows.
    pub fn wrote(&self, rows: u64) {
        self.0.rows_written.fetch_add(rows, Ordering::Relaxed);
    }

    /// A job starts running, until the guard is dropped.
    pub fn running(&self) -> RunningGuard {
        self.0.running.fetch_add(1, Ordering::Relaxed);
        RunningGuard(self.clone())
    }

    /// The counters in the Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let c = &self.0;
        let _ = writeln!(
            out,
            "# HELP purrlist_imports_accepted_total Import jobs accepted by POST /v1/imports on this node.\n\
             # TYPE purrlist_imports_accepted_total counter\n\
             purrlist_imports_accepted_total {}",
            c.accepted.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP purrlist_imports_total Import jobs ended on this node, by final status.\n\
             # TYPE purrlist_imports_total counter"
        );
        for (status, n) in ImportStatus::ALL.iter().zip(&c.ended) {
            if status.is_final() {
                let _ = writeln!(
                    out,
                    "purrlist_imports_total{{status=\"{}\"}} {}",
                    status.as_str(),
                    n.load(Ordering::Relaxed)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP purrlist_import_rows_written_total Rows import jobs wrote (created, updated or unchanged) on this node.\n\
             # TYPE purrlist_import_rows_written_total counter\n\
             purrlist_import_rows_written_total {}",
            c.rows_written.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP purrlist_imports_running Import jobs running on this node now.\n\
             # TYPE purrlist_imports_running gauge\n\
             purrlist_imports_running {}",
            c.running.load(Ordering::Relaxed)
        );
    }
}
