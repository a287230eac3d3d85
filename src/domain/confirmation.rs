//! Double opt-in (api.md §8, docs/consent.md): a contact asked to confirm waits with
//! `subscribed: false` and one pending confirmation; the person's press on the link's
//! button subscribes it. Every backend asks the rules here: [`plan_request`] (ask or ask
//! again), [`plan_confirmation`] (the one step that may confirm; suppression plugs in
//! here) and the three events of the feed.
//!
//! Decisions: asking again while a request is pending keeps its token and moves its
//! deadline, so every link already mailed keeps working until the newest deadline; a
//! contact that is subscribed already gets no request (nothing changes, no event). The
//! event's extra data (the link, the deadline, the evidence) travels in the event's
//! `changes` under [`DETAILS_KEY`], an entry with no `old`/`new`, so the feed, webhooks
//! and `purrlist copy` carry it unchanged; the feed and webhook bodies show it apart as
//! `confirmation`.

use super::bulk::{BulkItem, ItemResult};
use super::contact::{Contact, ContactPatch};
use super::error::DomainError;
use super::events::{ContactEvent, EventKind, event_for};
use super::ids::{BODY_LEN, ContactId, WorkspaceId, random_body};
use super::patch_input::FieldError;
use super::timestamp::Timestamp;
use serde_json::{Map, Value};
use std::fmt;

/// Hours an unconfirmed request lives when the configuration does not say.
pub const DEFAULT_TTL_HOURS: u64 = 72;

/// Where an event keeps its confirmation details inside `changes`.
pub const DETAILS_KEY: &str = "confirmation";

/// The token of a confirmation link: 21 random characters (126 bits) of the nanoid
/// alphabet, unguessable like an unsubscribe token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfirmationToken(String);

impl ConfirmationToken {
    /// A new token.
    pub fn generate() -> ConfirmationToken {
        ConfirmationToken(random_body(BODY_LEN))
    }

    /// A token from a link; `None` when it is not of the right shape.
    pub fn parse(input: &str) -> Option<ConfirmationToken> {
        let ok = input.len() == BODY_LEN
            && input
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| ConfirmationToken(input.to_owned()))
    }

    /// A token read back from storage.
    pub fn from_stored(value: String) -> ConfirmationToken {
        ConfirmationToken(value)
    }

    /// The token as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ConfirmationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request waiting for the person to press the button.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingConfirmation {
    /// The link's token.
    pub token: ConfirmationToken,
    /// The contact's workspace.
    pub workspace_id: WorkspaceId,
    /// The contact asked to confirm.
    pub contact_id: ContactId,
    /// When it was last asked.
    pub requested_at: Timestamp,
    /// When the link stops working.
    pub expires_at: Timestamp,
}

impl PendingConfirmation {
    /// Whether the link still works at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        now.millis() < self.expires_at.millis()
    }
}

/// How a request to confirm came in, recorded on its event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestEvidence {
    /// `api` (PUT), `bulk`, `form` (a public sign-up form) or `confirmation_link`.
    pub source: String,
    /// The client's address, when known.
    pub ip: Option<String>,
    /// The client's `User-Agent`, when sent.
    pub user_agent: Option<String>,
    /// The page the form was on (`Referer`, else `Origin`), for a form.
    pub page_url: Option<String>,
}

impl RequestEvidence {
    /// The same facts as the feed's evidence keeps them (`domain::evidence`); the page URL
    /// stays in the confirmation entry of the event.
    pub fn as_evidence(&self) -> crate::domain::evidence::Evidence {
        let mut evidence = crate::domain::evidence::Evidence::from_source(self.source.clone());
        evidence.ip = self.ip.as_deref().and_then(|ip| ip.parse().ok());
        evidence.user_agent = self.user_agent.clone();
        evidence
    }

    /// Evidence naming only its source.
    pub fn from_source(source: &str) -> RequestEvidence {
        RequestEvidence {
            source: source.to_owned(),
            ..RequestEvidence::default()
        }
    }

    fn write_into(&self, details: &mut Map<String, Value>) {
        details.insert("source".into(), Value::from(self.source.as_str()));
        for (name, value) in [
            ("ip", &self.ip),
            ("user_agent", &self.user_agent),
            ("page_url", &self.page_url),
        ] {
            if let Some(v) = value {
                details.insert(name.into(), Value::from(v.as_str()));
            }
        }
    }
}

/// What asking a contact to confirm does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestPlan {
    /// The contact is subscribed already: nothing changes, no event.
    AlreadySubscribed,
    /// Store this pending request (a new one, or the pending one with a later deadline).
    Issue(PendingConfirmation),
}

/// Plans asking `contact` to confirm at `now`, given the request pending for it, if any;
/// the link lives `ttl_millis`.
pub fn plan_request(
    contact: &Contact,
    pending: Option<&PendingConfirmation>,
    now: Timestamp,
    ttl_millis: i64,
) -> RequestPlan {
    if contact.subscribed {
        return RequestPlan::AlreadySubscribed;
    }
    let token = pending
        .filter(|p| p.is_live(now) && p.contact_id == contact.id)
        .map_or_else(ConfirmationToken::generate, |p| p.token.clone());
    RequestPlan::Issue(PendingConfirmation {
        token,
        workspace_id: contact.workspace_id.clone(),
        contact_id: contact.id.clone(),
        requested_at: now,
        expires_at: Timestamp::from_millis(now.millis().saturating_add(ttl_millis)),
    })
}

/// What pressing the button of a link does.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfirmPlan {
    /// Write this contact (now subscribed) and drop the pending request.
    Confirm(Box<Contact>),
    /// Subscribed already (by other means meanwhile): drop the request, change nothing.
    AlreadySubscribed,
    /// The link no longer works (past its deadline, or not this contact's): answered
    /// exactly like an unknown token.
    Unavailable,
}

/// The one step that may confirm a contact: every confirmation (the page's POST, on every
/// backend) goes through here, so a rule that forbids it (suppression) is one check here.
pub fn plan_confirmation(
    contact: &Contact,
    pending: &PendingConfirmation,
    now: Timestamp,
) -> Result<ConfirmPlan, DomainError> {
    if !pending.is_live(now) || pending.contact_id != contact.id {
        return Ok(ConfirmPlan::Unavailable);
    }
    let patch = ContactPatch {
        subscribed: Some(true),
        ..ContactPatch::default()
    };
    match contact
        .merged(&patch, now)
        .map_err(DomainError::InvalidCustomFields)?
    {
        Some(next) => Ok(ConfirmPlan::Confirm(Box::new(next))),
        None => Ok(ConfirmPlan::AlreadySubscribed),
    }
}

/// The link a person opens: `base` is the public URL without a trailing slash.
pub fn confirmation_url(base: &str, token: &ConfirmationToken) -> String {
    format!("{base}/c/{token}")
}

fn details_entry(details: Map<String, Value>) -> Map<String, Value> {
    let mut changes = Map::new();
    changes.insert(DETAILS_KEY.to_owned(), Value::Object(details));
    changes
}

/// `contact.confirmation_requested`: the link to mail, its deadline and how it was asked.
pub fn requested_event(
    pending: &PendingConfirmation,
    url: &str,
    evidence: &RequestEvidence,
) -> ContactEvent {
    let mut details = Map::new();
    details.insert("url".into(), Value::from(url));
    details.insert(
        "expires_at".into(),
        Value::from(pending.expires_at.to_rfc3339()),
    );
    evidence.write_into(&mut details);
    ContactEvent {
        kind: EventKind::ConfirmationRequested,
        contact_id: pending.contact_id.clone(),
        workspace_id: pending.workspace_id.clone(),
        changes: details_entry(details),
    }
}

/// `contact.confirmed`: `subscribed` false → true, with the evidence of the press.
pub fn confirmed_event(
    before: &Contact,
    after: &Contact,
    evidence: &RequestEvidence,
) -> Option<ContactEvent> {
    let mut event = event_for(Some(before), Some(after))?;
    event.kind = EventKind::Confirmed;
    let mut details = Map::new();
    evidence.write_into(&mut details);
    event
        .changes
        .insert(DETAILS_KEY.to_owned(), Value::Object(details));
    Some(event)
}

/// `contact.confirmation_expired`: the request's deadline passed unconfirmed.
pub fn expired_event(pending: &PendingConfirmation) -> ContactEvent {
    let mut details = Map::new();
    details.insert(
        "requested_at".into(),
        Value::from(pending.requested_at.to_rfc3339()),
    );
    details.insert(
        "expires_at".into(),
        Value::from(pending.expires_at.to_rfc3339()),
    );
    ContactEvent {
        kind: EventKind::ConfirmationExpired,
        contact_id: pending.contact_id.clone(),
        workspace_id: pending.workspace_id.clone(),
        changes: details_entry(details),
    }
}

/// Takes the confirmation details out of an event's `changes`, for showing them apart.
pub fn split_details(changes: &mut Map<String, Value>) -> Option<Value> {
    match changes.get(DETAILS_KEY) {
        Some(Value::Object(d)) if !d.contains_key("old") && !d.contains_key("new") => {
            changes.shift_remove(DETAILS_KEY)
        }
        _ => None,
    }
}

/// Reads the `"confirm"` extension of a PUT body or bulk item: absent or `false` is no,
/// `true` is yes, anything else is a 400 on `confirm`.
pub fn wants_confirmation(body: &Map<String, Value>) -> Result<bool, FieldError> {
    match body.get("confirm") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(false),
        Some(Value::Bool(true)) => Ok(true),
        Some(_) => Err(FieldError::invalid(
            "confirm",
            "`confirm` must be a boolean.",
        )),
    }
}

/// The patch a write asking for confirmation applies: its `subscribed` is ignored (an
/// existing contact keeps its state; a new one starts unsubscribed, see [`creation_patch`]).
pub fn without_subscription(mut patch: ContactPatch) -> ContactPatch {
    patch.subscribed = None;
    patch
}

/// The patch that creates a contact asked to confirm: unsubscribed until confirmed.
pub fn creation_patch(patch: &ContactPatch) -> ContactPatch {
    ContactPatch {
        subscribed: Some(false),
        ..patch.clone()
    }
}

/// The contacts a bulk write asks to confirm: those of the applied items (`results`)
/// whose item in `items` carries `"confirm": true`, in the order of `results`.
pub fn asked_to_confirm(items: &[BulkItem], results: &[ItemResult]) -> Vec<ContactId> {
    results
        .iter()
        .filter(|r| items.get(r.index).is_some_and(|item| item.confirm))
        .map(|r| r.id.clone())
        .collect()
}

#[cfg(test)]
mod tests;
