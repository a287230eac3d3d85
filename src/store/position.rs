//! Read-your-writes across read replicas. A write's answer carries the position of the
//! database's write-ahead log just after it committed (`Purrlist-Position`); a read that
//! sends a position back is served only by a replica that has replayed at least that far,
//! else by the primary.
//!
//! The HTTP layer runs each API request inside [`track`], with the position the client
//! sent; the store reads it ([`read_floor`]) to pick a replica and records the position of
//! each write it commits ([`wrote`]), which `track` hands back for the answer's header.
//! Outside a tracked request (the CLI, tests calling the store) both are no-ops.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A position in PostgreSQL's write-ahead log (an LSN), written as PostgreSQL does:
/// two hexadecimal halves, `16/B374D848`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position(pub u64);

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:X}/{:X}", self.0 >> 32, self.0 & 0xFFFF_FFFF)
    }
}

impl FromStr for Position {
    type Err = ();

    fn from_str(s: &str) -> Result<Position, ()> {
        let (high, low) = s.split_once('/').ok_or(())?;
        let half = |h: &str| {
            if h.is_empty() || h.len() > 8 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(());
            }
            u32::from_str_radix(h, 16).map_err(|_| ())
        };
        Ok(Position(
            (u64::from(half(high)?) << 32) | u64::from(half(low)?),
        ))
    }
}

/// What one request sent and wrote.
struct Tracked {
    floor: Option<Position>,
    /// The highest position a write of this request committed at; 0 = none yet.
    written: AtomicU64,
}

tokio::task_local! {
    static REQUEST: Arc<Tracked>;
}

/// Runs `call` as a request whose reads must see `floor`; returns its output and the
/// position of its last write, if it wrote.
pub async fn track<T>(
    floor: Option<Position>,
    call: impl Future<Output = T>,
) -> (T, Option<Position>) {
    let tracked = Arc::new(Tracked {
        floor,
        written: AtomicU64::new(0),
    });
    let output = REQUEST.scope(Arc::clone(&tracked), call).await;
    let written = tracked.written.load(Ordering::Relaxed);
    (output, (written > 0).then_some(Position(written)))
}

/// The position the current request's reads must see, if it sent one.
pub fn read_floor() -> Option<Position> {
    REQUEST.try_with(|r| r.floor).ok().flatten()
}

/// Whether the current request wants the position of its writes (a tracked request).
pub fn tracking() -> bool {
    REQUEST.try_with(|_| ()).is_ok()
}

/// Records that the current request wrote, committed before `position`.
pub fn wrote(position: Position) {
    let _ = REQUEST.try_with(|r| r.written.fetch_max(position.0, Ordering::Relaxed));
}

#[cfg(test)]
mod tests {
    use super::Position;

    #[test]
    fn positions_read_and_write_as_postgresql_does() {
        let p: Position = "16/B374D848".parse().expect("valid");
        assert_eq!(p, Position(0x16_B374_D848));
        assert_eq!(p.to_string(), "16/B374D848");
        assert_eq!("0/0".parse::<Position>(), Ok(Position(0)));
        assert!("0/1".parse::<Position>() > "0/0".parse::<Position>());
        for bad in [
            "",
            "16",
            "/1",
            "1/",
            "g/1",
            "1/-1",
            "123456789/0",
            "1/2/3",
            " 1/2",
        ] {
            assert!(bad.parse::<Position>().is_err(), "{bad:?}");
        }
    }
}
