//! Threads for work that must not slow the API (today the webhook deliverer): a runtime
//! of its own (with its own blocking threads, where its SQLite reads run), every thread
//! of it at the lowest CPU priority: on Linux the `SCHED_IDLE` policy, which runs a
//! thread only when no ordinary thread wants the core, and a nice value raised by
//! [`NICE`] as well (all that is left where `SCHED_IDLE` is refused). So delivering
//! (reading the feed, building and signing messages, the connections, the system calls,
//! the receivers' answers) takes the CPU the API leaves idle instead of competing with
//! it: under a load that fills the core, delivery falls behind (the lag grows, nothing is
//! lost) rather than the API slowing down.
//!
//! A thread that may wait for the CPU that long must not hold what the API needs:
//! [`on_background_thread`] tells SQLite's reader pool to give such a thread a connection
//! of its own (`store::sqlite::readers`), and the writer's work is done on the writer's
//! thread. PostgreSQL connections are opened on the server's runtime
//! (`store::postgres::connect`). A thread stops when the last handle to it is dropped.

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

thread_local! {
    static BACKGROUND: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the calling thread is one of a [`Background`]'s (at the lowest priority).
pub fn on_background_thread() -> bool {
    BACKGROUND.with(|b| b.get())
}

/// Gives the calling thread the lowest CPU priority: `SCHED_IDLE` and a nice value raised
/// by [`NICE`] on Linux (per thread there, and neither needs a privilege). A refusal only
/// leaves that part as it was.
fn lower_priority() {
    BACKGROUND.with(|b| b.set(true));
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{getpriority_process, setpriority_process};
        use thread_priority::unix::{
            NormalThreadSchedulePolicy, ThreadSchedulePolicy, set_thread_priority_and_policy,
            thread_native_id,
        };
        let me = Some(rustix::thread::gettid());
        let before = getpriority_process(me);
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        // The crate also sets the nice value to 0, which may be refused: set it below.
        let _ = set_thread_priority_and_policy(
            thread_native_id(),
            thread_priority::ThreadPriority::Min,
            idle,
        );
        if let Ok(now) = before {
            let _ = setpriority_process(me, (now + NICE).min(19));
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_on_an_idle_priority_thread_marked_as_background() {
        assert!(!on_background_thread());
        let background = Background::start("bg-test").expect("thread");
        let (marked, policy, nice) = background
            .run(async {
                let policy = thread_priority::unix::thread_schedule_policy().expect("policy");
                let nice = rustix::process::getpriority_process(None).expect("nice");
                (on_background_thread(), policy, nice)
            })
            .await
            .expect("ran");
        assert!(marked);
        assert_eq!(
            policy,
            thread_priority::unix::ThreadSchedulePolicy::Normal(
                thread_priority::unix::NormalThreadSchedulePolicy::Idle
            )
        );
        let ours = rustix::process::getpriority_process(None).expect("nice");
        assert_eq!(nice, (ours + NICE).min(19));
    }
}
