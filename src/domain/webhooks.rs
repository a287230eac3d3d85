//! Webhook endpoints: what one is, its event types, its state, its secrets, and the retry
//! schedule (docs/webhooks.md). Delivery itself lives in `crate::webhooks`; signing in
//! [`super::webhook_signature`], address rules in [`super::webhook_address`].

use super::events::EventKind;
use super::ids::{WebhookId, WorkspaceId};
use super::timestamp::Timestamp;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::time::Duration;

/// Random bytes in a new secret (Standard Webhooks asks for 24 to 64).
const SECRET_BYTES: usize = 32;
/// How long the secret before a rotation still signs (api.md §6).
pub const PREVIOUS_SECRET_LIFETIME_MS: i64 = 24 * 3600 * 1000;
/// Longest URL an endpoint may have.
pub const MAX_URL_CHARS: usize = 2048;
/// Longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 512;
/// The type of the message `POST /v1/webhooks/{id}/test` sends.
pub const TEST_EVENT_TYPE: &str = "webhook.test";

/// A signing secret: `whsec_` + base64 of random bytes. Stored as it is (it must be, to
/// sign: docs/security.md); shown to a client only on creation and rotation.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl std::fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

impl WebhookSecret {
    /// A new secret from the CSPRNG.
    pub fn generate() -> WebhookSecret {
        let bytes: [u8; SECRET_BYTES] = rand::random();
        WebhookSecret(format!("whsec_{}", STANDARD.encode(bytes)))
    }

    /// A secret read back from storage, trusted as written.
    pub fn from_stored(value: String) -> WebhookSecret {
        WebhookSecret(value)
    }

    /// The secret as text (`whsec_…`), for storage and for the one answer that shows it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The HMAC key: the decoded bytes after `whsec_`.
    pub fn key_bytes(&self) -> Vec<u8> {
        let encoded = self.0.strip_prefix("whsec_").unwrap_or(&self.0);
        STANDARD
            .decode(encoded)
            .unwrap_or_else(|_| encoded.as_bytes().to_vec())
    }
}

/// Where an endpoint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointState {
    /// Delivering; the last attempt (if any) was accepted.
    Active,
    /// The next event failed at least once and is being retried; with `enabled: false`,
    /// the schedule was spent and delivery stopped.
    Failing,
    /// Switched off by a client (`enabled: false`).
    Disabled,
}

impl EndpointState {
    /// `active`, `failing` or `disabled`, as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointState::Active => "active",
            EndpointState::Failing => "failing",
            EndpointState::Disabled => "disabled",
        }
    }

    /// The state with this stored name (an unknown one reads as failing, to be looked at).
    pub fn parse(name: &str) -> EndpointState {
        match name {
            "active" => EndpointState::Active,
            "disabled" => EndpointState::Disabled,
            _ => EndpointState::Failing,
        }
    }
}

/// The types an endpoint may ask for, as they appear in `type`.
pub fn event_type_names() -> Vec<String> {
    [
        EventKind::Created,
        EventKind::Updated,
        EventKind::Unsubscribed,
        EventKind::Resubscribed,
        EventKind::Deleted,
        EventKind::Reported,
        EventKind::Suppressed,
        EventKind::Unsuppressed,
        EventKind::Erased,
        EventKind::ConfirmationRequested,
        EventKind::Confirmed,
        EventKind::ConfirmationExpired,
    ]
    .into_iter()
    .map(event_type)
    .collect()
}

/// The webhook `type` of a feed event: `contact.` + its kind.
pub fn event_type(kind: EventKind) -> String {
    format!("contact.{}", kind.as_str())
}

/// One endpoint, with its delivery position.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEndpoint {
    /// `whk_…`.
    pub id: WebhookId,
    /// The workspace whose feed it receives.
    pub workspace_id: WorkspaceId,
    /// Where events are posted.
    pub url: String,
    /// The types it receives; `None`: all.
    pub event_types: Option<Vec<String>>,
    /// Free text for people.
    pub description: String,
    /// Whether delivery runs.
    pub enabled: bool,
    /// Where it stands.
    pub state: EndpointState,
    /// The secret that signs.
    pub secret: WebhookSecret,
    /// The secret before the last rotation and when it stops signing.
    pub previous_secret: Option<(WebhookSecret, Timestamp)>,
    /// When it was made.
    pub created_at: Timestamp,
    /// When a client last changed it.
    pub updated_at: Timestamp,
    /// The feed position of the last event accepted (or skipped, not being of its types).
    pub cursor: i64,
    /// Failed attempts at the event after `cursor`.
    pub attempt: u32,
    /// When the event after `cursor` may be tried next.
    pub next_attempt_at: Timestamp,
}

impl WebhookEndpoint {
    /// Whether it receives events of this type.
    pub fn wants(&self, kind: &str) -> bool {
        self.event_types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == kind))
    }

    /// The secrets that sign a message sent at `now`: the current one, then the previous
    /// one while it is still valid.
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<&WebhookSecret> {
        let mut secrets = vec![&self.secret];
        if let Some((previous, until)) = &self.previous_secret
            && now < *until
        {
            secrets.push(previous);
        }
        secrets
    }
}

impl WebhookEndpoint {
    /// Applies a change (`PATCH`). True when it switches a stopped endpoint back on: its
    /// retry state is then to be cleared, so delivery resumes at once from the first event
    /// it has not accepted.
    pub fn apply(&mut self, patch: &WebhookPatch) -> bool {
        if let Some(url) = &patch.url {
            self.url = url.clone();
        }
        if let Some(types) = &patch.event_types {
            self.event_types = types.clone();
        }
        if let Some(description) = &patch.description {
            self.description = description.clone();
        }
        let resume = patch.enabled == Some(true) && !self.enabled;
        if let Some(enabled) = patch.enabled {
            self.enabled = enabled;
            self.state = if enabled {
                EndpointState::Active
            } else {
                EndpointState::Disabled
            };
        }
        resume
    }
}

/// A change to an endpoint (`PATCH`): `None` keeps the value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebhookPatch {
    /// New URL (already checked).
    pub url: Option<String>,
    /// New types (`Some(None)`: all).
    pub event_types: Option<Option<Vec<String>>>,
    /// New description.
    pub description: Option<String>,
    /// Switch delivery on or off; on again resumes from the first event not accepted.
    pub enabled: Option<bool>,
}

/// One entry per attempt at one event: the first attempt goes as soon as the event is
/// read (its entry only counts it, as in Svix's schedule); attempt n+1 waits entry n after
/// the n-th failure. Spent: the endpoint is disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetrySchedule(Vec<Duration>);

impl Default for RetrySchedule {
    /// Svix's: at once, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    fn default() -> Self {
        let s = Duration::from_secs;
        RetrySchedule(vec![
            s(0),
            s(5),
            s(300),
            s(1800),
            s(7200),
            s(18000),
            s(36000),
            s(36000),
        ])
    }
}

impl RetrySchedule {
    /// Parses `0s,5s,5m,30m,2h` (units `ms`, `s`, `m`, `h`; a bare number is seconds).
    pub fn parse(text: &str) -> Result<RetrySchedule, String> {
        let waits = text
            .split(',')
            .map(|part| parse_duration(part.trim()))
            .collect::<Result<Vec<_>, _>>()?;
        if waits.is_empty() || waits.len() > 50 {
            return Err("the retry schedule needs 1 to 50 durations".to_owned());
        }
        Ok(RetrySchedule(waits))
    }

    /// How many attempts one event gets.
    pub fn attempts(&self) -> u32 {
        self.0.len() as u32
    }

    /// The wait before attempt `n` (0-based); `None` when the schedule is spent.
    pub fn wait_before(&self, n: u32) -> Option<Duration> {
        self.0.get(n as usize).copied()
    }
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("{text:?} is not a duration such as 0s, 5s, 5m or 2h");
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let millis = match unit {
        "ms" => n,
        "" | "s" => n.saturating_mul(1000),
        "m" => n.saturating_mul(60_000),
        "h" => n.saturating_mul(3_600_000),
        _ => return Err(bad()),
    };
    Ok(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_whsec_and_decode_to_their_random_bytes() {
        let s = WebhookSecret::generate();
        assert!(s.expose().starts_with("whsec_"));
        assert_eq!(s.key_bytes().len(), SECRET_BYTES);
        assert_ne!(s, WebhookSecret::generate());
    }

    #[test]
    fn the_schedule_parses_units_and_refuses_nonsense() {
        let s = RetrySchedule::parse("0s, 1s,250ms,2m,1h,3").expect("schedule");
        assert_eq!(s.attempts(), 6);
        assert_eq!(s.wait_before(2), Some(Duration::from_millis(250)));
        assert_eq!(s.wait_before(5), Some(Duration::from_secs(3)));
        assert_eq!(s.wait_before(6), None);
        for bad in ["", "5x", "s", "-1s", "1s,,2s"] {
            assert!(RetrySchedule::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(RetrySchedule::default().attempts(), 8);
    }
}
