//! Budgets of the public sign-up form against bots: a few sign-ups per email address (so
//! nobody can make purrlist mail one person over and over) and a few dozen per client
//! address. Fixed windows in memory, per node: enough to blunt a bot, nothing to store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Sign-ups for one email address per window.
pub const PER_ADDRESS: u32 = 3;
/// The window of [`PER_ADDRESS`].
pub const PER_ADDRESS_WINDOW: Duration = Duration::from_secs(3600);
/// Sign-ups from one client address per window.
pub const PER_CLIENT: u32 = 20;
/// The window of [`PER_CLIENT`].
pub const PER_CLIENT_WINDOW: Duration = Duration::from_secs(600);
/// Keys one budget remembers before it forgets finished windows.
const MAX_KEYS: usize = 100_000;

struct Budget {
    limit: u32,
    window: Duration,
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Budget {
    fn new(limit: u32, window: Duration) -> Budget {
        Budget {
            limit,
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one use of `key`; `Err(wait)` when its window is spent.
    fn take(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let Ok(mut counts) = self.counts.lock() else {
            return Ok(()); // a poisoned lock only loses counting, never a sign-up
        };
        if counts.len() >= MAX_KEYS {
            let window = self.window;
            counts.retain(|_, (start, _)| now.duration_since(*start) < window);
            if counts.len() >= MAX_KEYS {
                counts.clear();
            }
        }
        let entry = counts.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.limit {
            return Err(self.window.saturating_sub(now.duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// The two budgets of the sign-up form.
pub struct SignupThrottle {
    per_address: Budget,
    per_client: Budget,
}

impl Default for SignupThrottle {
    fn default() -> Self {
        SignupThrottle {
            per_address: Budget::new(PER_ADDRESS, PER_ADDRESS_WINDOW),
            per_client: Budget::new(PER_CLIENT, PER_CLIENT_WINDOW),
        }
    }
}

impl SignupThrottle {
    /// Counts a sign-up from `client`; `Err(wait)` when that client is over its budget.
    pub fn client(&self, client: &str) -> Result<(), Duration> {
        self.per_client.take(client, Instant::now())
    }

    /// Counts a sign-up of the normalised email `address` (scoped by workspace); false
    /// when that address is over its budget.
    pub fn address(&self, workspace: &str, address: &str) -> bool {
        self.per_address
            .take(&format!("{workspace} {address}"), Instant::now())
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_past_its_limit_until_the_window_ends() {
        let b = Budget::new(2, Duration::from_secs(10));
        let t = Instant::now();
        assert!(b.take("a", t).is_ok());
        assert!(b.take("a", t).is_ok());
        assert!(b.take("a", t).is_err());
        assert!(b.take("b", t).is_ok(), "keys count apart");
        assert!(b.take("a", t + Duration::from_secs(10)).is_ok());
    }
}
