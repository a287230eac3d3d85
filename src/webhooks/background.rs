//! The thread the deliverer runs on: a runtime of its own (with its own blocking threads,
//! where its SQLite reads run), on threads whose CPU priority is lowered (their nice value
//! raised by `NICE` on Linux), so delivering (reading the feed, building and signing
//! messages, the connections, the system calls, the receivers' answers) takes the CPU the
//! API leaves idle instead of competing with it: under a load that fills the core,
//! delivery falls behind (the lag grows, nothing is lost) rather than the API slowing
//! down. PostgreSQL connections are still opened on the server's runtime
//! (`store::postgres::connect`). The thread stops when the last handle to it is dropped.

use std::future::Future;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// How much the thread's nice value is raised over the server's (at most to 19).
pub const NICE: i32 = 10;

/// A running background thread; dropping the last clone of it stops it.
pub struct Background {
    handle: Handle,
    _stop: oneshot::Sender<()>,
}

impl Background {
    /// Starts the thread, named `name`.
    pub fn start(name: &str) -> anyhow::Result<Background> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .thread_name(format!("{name}-io"))
            .on_thread_start(lower_priority)
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                lower_priority();
                // Until every handle is gone (the sender dropped: an error, which is fine).
                let _ = runtime.block_on(stopped);
            })?;
        Ok(Background {
            handle,
            _stop: stop,
        })
    }

    /// Starts `work` on the thread.
    pub fn spawn<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> tokio::task::JoinHandle<T> {
        self.handle.spawn(work)
    }

    /// Runs `work` on the thread and waits for its result.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        self.handle.spawn(work).await.ok()
    }
}

/// Lowers the calling thread's CPU priority by [`NICE`] (on Linux the nice value is per
/// thread, and raising it needs no privilege). A failure only leaves it as it was.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        let me = Some(rustix::thread::gettid());
        if let Ok(now) = getpriority_process(me) {
            let _ = setpriority_process(me, (now + NICE).min(19));
        }
    }
}
