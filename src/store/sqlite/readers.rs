//! A fixed pool of read-only connections, used from tokio's blocking threads.

use crate::store::StoreError;
use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Read connections; WAL lets them read while the writer writes.
pub struct Readers {
    idle: Arc<(Sender<Connection>, Receiver<Connection>)>,
    /// One permit per connection, taken before a blocking thread is used: waiting
    /// reads queue here instead of each parking a blocking thread (and its memory).
    free: Arc<Semaphore>,
}

impl Readers {
    /// A pool of these connections.
    pub fn new(connections: Vec<Connection>) -> Readers {
        let (tx, rx) = crossbeam_channel::bounded(connections.len());
        let free = Arc::new(Semaphore::new(connections.len()));
        for conn in connections {
            let _ = tx.send(conn);
        }
        Readers {
            idle: Arc::new((tx, rx)),
            free,
        }
    }

    /// Runs `op` on a free read connection.
    pub async fn read<T, F>(&self, op: F) -> Result<T, StoreError>
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
