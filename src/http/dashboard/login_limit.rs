//! Sign-in attempts limited per client address: after [`MAX_FAILURES`] wrong keys within
//! [`WINDOW`], every attempt from that address is refused until the window has passed, so
//! guessing keys online is hopeless (they hold 190 random bits besides). Kept in memory,
//! per node; behind a reverse proxy every client shares the proxy's address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wrong keys allowed from one address within [`WINDOW`].
pub const MAX_FAILURES: u32 = 10;
/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Addresses remembered at most; past it the expired ones are forgotten first.
const MAX_ADDRESSES: usize = 100_000;

/// Failed sign-ins per client address.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl LoginLimiter {
    /// `None` when `address` may try to sign in now, else how long until it may.
    pub fn wait_for(&self, address: IpAddr) -> Option<Duration> {
        let failures = self.failures.lock().ok()?;
        let (count, since) = failures.get(&address)?;
        let elapsed = since.elapsed();
        (*count >= MAX_FAILURES && elapsed < WINDOW).then(|| WINDOW - elapsed)
    }

    /// Counts a wrong key from `address`.
    pub fn failed(&self, address: IpAddr) {
        let Ok(mut failures) = self.failures.lock() else {
            return;
        };
        if failures.len() >= MAX_ADDRESSES {
            failures.retain(|_, (_, since)| since.elapsed() < WINDOW);
            if failures.len() >= MAX_ADDRESSES {
                failures.clear();
            }
        }
        let entry = failures.entry(address).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= WINDOW {
            *entry = (0, Instant::now());
        }
        entry.0 += 1;
    }

    /// Forgets the failures of `address` after it signed in.
    pub fn succeeded(&self, address: IpAddr) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&address);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_stopped_after_too_many_failures_and_others_are_not() {
        let limiter = LoginLimiter::default();
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..MAX_FAILURES - 1 {
            limiter.failed(a);
        }
        assert_eq!(limiter.wait_for(a), None);
        limiter.failed(a);
        assert!(limiter.wait_for(a).is_some());
        assert_eq!(limiter.wait_for(b), None);
        limiter.succeeded(a);
        assert_eq!(limiter.wait_for(a), None);
    }
}
