//! A cap on the connections one client address may hold open (off by default). Past it a
//! new connection is answered `429 too_many_connections` and closed before any request is
//! read, so one client cannot take every connection the process can hold.

use crate::http::error::{ApiError, ErrorCode};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Open connections per client address, against the cap.
pub struct ConnectionLimit {
    per_address: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One admitted connection's place; dropping it frees the place.
pub struct Slot {
    limit: Option<Arc<ConnectionLimit>>,
    address: IpAddr,
}

impl ConnectionLimit {
    /// A cap of `per_address` connections per client address; 0 turns it off.
    pub fn new(per_address: usize) -> Arc<ConnectionLimit> {
        Arc::new(ConnectionLimit {
            per_address,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A place for one more connection from `address`, or `None` when it holds all its places.
    pub fn admit(self: &Arc<Self>, address: IpAddr) -> Option<Slot> {
        if self.per_address == 0 {
            return Some(Slot {
                limit: None,
                address,
            });
        }
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let count = open.entry(address).or_insert(0);
        if *count >= self.per_address {
            return None;
        }
        *count += 1;
        Some(Slot {
            limit: Some(Arc::clone(self)),
            address,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(limit) = &self.limit else {
            return;
        };
        let mut open = limit
            .open
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// The longest a refused connection is kept: to send the answer and read what the client
/// sent meanwhile (closing with unread data would reset the connection under the answer).
const REFUSAL_LINGER: Duration = Duration::from_secs(1);

/// Answers a connection over the cap with `429 too_many_connections`, then closes it.
pub async fn refuse(mut stream: TcpStream, per_address: usize) {
    let error = ApiError::new(
        ErrorCode::TooManyConnections,
        format!(
            "Your address already has {per_address} connections open to this server; close one, or reuse them (keep-alive), and retry."
        ),
    );
    let body = serde_json::to_string(error.body()).unwrap_or_default();
    let status = error.status();
    let answer = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        status.as_str(),
        status.canonical_reason().unwrap_or_default(),
        body.len()
    );
    let _ = tokio::time::timeout(REFUSAL_LINGER, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_per_address_and_come_back_when_dropped() {
        let limit = ConnectionLimit::new(2);
        let (a, b): (IpAddr, IpAddr) = (
            "10.0.0.1".parse().expect("ip"),
            "10.0.0.2".parse().expect("ip"),
        );
        let first = limit.admit(a).expect("first");
        let _second = limit.admit(a).expect("second");
        assert!(limit.admit(a).is_none(), "a third from the same address");
        assert!(
            limit.admit(b).is_some(),
            "another address has its own places"
        );
        drop(first);
        assert!(limit.admit(a).is_some(), "a dropped place is free again");
    }

    #[test]
    fn zero_admits_everyone() {
        let limit = ConnectionLimit::new(0);
        let address: IpAddr = "10.0.0.1".parse().expect("ip");
        let held: Vec<Slot> = (0..1000).filter_map(|_| limit.admit(address)).collect();
        assert_eq!(held.len(), 1000);
        assert!(limit.open.lock().expect("lock").is_empty());
    }
}
