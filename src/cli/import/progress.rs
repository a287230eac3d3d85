//! The progress of `purrlist import` on a terminal: a bar over the file's bytes with rows
//! read, rows per second and the time left; nothing at all when stderr is not a terminal,
//! so scripts and logs stay quiet.

use crate::import::{ImportPass, ImportProgress};
use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

/// A progress bar on stderr, or nothing.
pub(super) struct Bar {
    bar: ProgressBar,
    started: Mutex<Instant>,
}

impl Bar {
    pub(super) fn new() -> Bar {
        let bar = if std::io::stderr().is_terminal() {
            let style = ProgressStyle::with_template(
                "{prefix:8} {bar:30} {percent:>3}% {msg} ({eta} left)",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            ProgressBar::new(0).with_style(style)
        } else {
            ProgressBar::hidden()
        };
        Bar {
            bar,
            started: Mutex::new(Instant::now()),
        }
    }

    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl ImportProgress for Bar {
    fn rows_read(&self, rows: u64, bytes: u64) {
        let seconds = self
            .started
            .lock()
            .map_or(0.0, |started| started.elapsed().as_secs_f64());
        let rate = if seconds > 0.0 {
            rows as f64 / seconds
        } else {
            0.0
        };
        self.bar.set_position(bytes);
        self.bar
            .set_message(format!("{rows} rows, {rate:.0} rows/s"));
    }

    fn pass(&self, pass: ImportPass, total_bytes: u64) {
        if let Ok(mut started) = self.started.lock() {
            *started = Instant::now();
        }
        self.bar.set_length(total_bytes);
        self.bar.set_position(0);
        self.bar.set_prefix(match pass {
            ImportPass::Check => "checking",
            ImportPass::Write => "writing",
        });
    }
}
