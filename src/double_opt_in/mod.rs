//! Double opt-in and public sign-up forms, the parts that live beside the HTTP surface:
//! the settings the handlers share ([`OptIn`]), the per-address and per-client budgets of
//! the sign-up form (`throttle`), and the background task that expires unconfirmed
//! requests (`expiry`). The rules are in `domain::confirmation` and `domain::form_key`.

pub mod expiry;
pub mod throttle;

use std::sync::Arc;
use std::time::Duration;

/// What the handlers of `/c/…`, `/f/…` and `"confirm": true` share.
#[derive(Clone)]
pub struct OptIn {
    /// The public URL links start with, without a trailing slash.
    pub public_base: String,
    /// How long an unconfirmed request lives (`PURRLIST_CONFIRMATION_TTL_HOURS`).
    pub ttl: Duration,
    /// Sign-ups per address and per client address.
    pub throttle: Arc<throttle::SignupThrottle>,
}

impl Default for OptIn {
    fn default() -> Self {
        OptIn {
            public_base: "http://127.0.0.1:8080".to_owned(),
            ttl: Duration::from_secs(crate::domain::confirmation::DEFAULT_TTL_HOURS * 3600),
            throttle: Arc::new(throttle::SignupThrottle::default()),
        }
    }
}

impl OptIn {
    /// The link lifetime in milliseconds, as the store takes it.
    pub fn ttl_millis(&self) -> i64 {
        i64::try_from(self.ttl.as_millis()).unwrap_or(i64::MAX)
    }
}
