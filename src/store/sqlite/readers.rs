//! A fixed pool of read-only connections, used from tokio's blocking threads.

use crate::store::StoreError;
use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;
use std::sync::Arc;

/// Read connections; WAL lets them read while the writer writes.
pub struct Readers {
    idle: Arc<(Sender<Connection>, Receiver<Connection>)>,
}

impl Readers {
    /// A pool of these connections.
    pub fn new(connections: Vec<Connection>) -> Readers {
        let (tx, rx) = crossbeam_channel::bounded(connections.len());
        for conn in connections {
            let _ = tx.send(conn);
        }
        Readers {
            idle: Arc::new((tx, rx)),
        }
    }

    /// Runs `op` on a free read connection.
    pub async fn read<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
        T: Send + 'static,
    {
        let idle = Arc::clone(&self.idle);
        tokio::task::spawn_blocking(move || {
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
