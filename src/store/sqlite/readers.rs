//! A fixed pool of read-only connections, used from tokio's blocking threads, and one more
//! for the threads of `crate::background`: those run only when the core is otherwise idle,
//! so a read of theirs can wait long for the CPU in the middle, and it must not hold a
//! connection the API's reads need meanwhile.

use crate::store::StoreError;
use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Read connections; WAL lets them read while the writer writes.
pub struct Readers {
    /// For the server's threads.
    api: Pool,
    /// For background threads.
    background: Pool,
}

impl Readers {
    /// The API's connections and the background threads' one.
    pub fn new(api: Vec<Connection>, background: Connection) -> Readers {
        Readers {
            api: Pool::new(api),
            background: Pool::new(vec![background]),
        }
    }

    /// Runs `op` on a free read connection of the calling thread's kind.
    pub async fn read<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        if crate::background::on_background_thread() {
            self.background.read(op).await
        } else {
            self.api.read(op).await
        }
    }
}

/// Connections shared by one kind of thread.
struct Pool {
    idle: Arc<(Sender<Connection>, Receiver<Connection>)>,
    /// One permit per connection, taken before a blocking thread is used: waiting
    /// reads queue here instead of each parking a blocking thread (and its memory).
    free: Arc<Semaphore>,
}

impl Pool {
    /// A pool of these connections.
    fn new(connections: Vec<Connection>) -> Pool {
        let (tx, rx) = crossbeam_channel::bounded(connections.len());
        let free = Arc::new(Semaphore::new(connections.len()));
        for conn in connections {
            let _ = tx.send(conn);
        }
        Pool {
            idle: Arc::new((tx, rx)),
            free,
        }
    }

    /// Runs `op` on a free read connection.
    async fn read<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let idle = Arc::clone(&self.idle);
        let permit = Arc::clone(&self.free)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Internal("the read pool is closed".to_owned()))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let conn = idle
                .1
                .recv()
                .map_err(|_| StoreError::Internal("the read pool is closed".to_owned()))?;
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| op(&conn)))
                .unwrap_or_else(|_| Err(StoreError::Internal("a read panicked".to_owned())));
            let _ = idle.0.send(conn);
            result
        })
        .await
        .map_err(|e| StoreError::Internal(format!("read task failed: {e}")))?
    }
}
