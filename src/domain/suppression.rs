//! Suppression (api.md §8): an address of a workspace that must not be mailed, and why
//! (`bounced`, `complained`, `erased`, `manual`). The rules, decided here for every
//! backend and every way in (PUT, bulk, import):
//!
//! - A write may not make a contact of a suppressed address `subscribed: true` (a new
//!   contact counts: it starts subscribed) unless it carries the override
//!   (`"override_suppression": true`); with it, the write goes ahead and lifts the
//!   suppression. An `erased` address may not come back at all without the override, not
//!   even unsubscribed: no contact may hold it again.
//! - Writes that do not try that (a new name for a bounced contact) go ahead and keep the
//!   suppression.
//! - A suppression belongs to the address, not to a contact: it outlives the contact's
//!   deletion and meets a new contact made with that address. Its id is a salted hash of
//!   (workspace, normalised address), keyed with a random salt kept in the database, so an
//!   erased entry keeps no address at all, and the same address has unrelated ids in two
//!   workspaces.

use super::contact::Contact;
use super::events::{Actor, ContactEvent, EventKind};
use super::ids::{ContactId, WorkspaceId};
use super::timestamp::Timestamp;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use std::collections::HashMap;

/// Why an address is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SuppressionReason {
    /// The sending service reported a hard bounce.
    Bounced,
    /// The recipient marked a message as spam.
    Complained,
    /// The person asked to be forgotten (`POST /v1/privacy/erase`); only a hash is kept.
    Erased,
    /// The operator suppressed the address by hand.
    Manual,
}

impl SuppressionReason {
    /// The wire and stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionReason::Bounced => "bounced",
            SuppressionReason::Complained => "complained",
            SuppressionReason::Erased => "erased",
            SuppressionReason::Manual => "manual",
        }
    }

    /// The reason with this name.
    pub fn parse(name: &str) -> Option<SuppressionReason> {
        [
            SuppressionReason::Bounced,
            SuppressionReason::Complained,
            SuppressionReason::Erased,
            SuppressionReason::Manual,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }

    /// Whether lifting it (`DELETE /v1/suppressions/{id}`) needs the override: a bounce or
    /// complaint is a fact about the address, not the operator's choice.
    pub fn lift_needs_override(self) -> bool {
        matches!(
            self,
            SuppressionReason::Bounced | SuppressionReason::Complained
        )
    }
}

/// A stored suppression.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppression {
    /// [`suppression_id`] of its workspace and address.
    pub id: String,
    /// The workspace.
    pub workspace_id: WorkspaceId,
    /// The normalised address; `None` once erased (only the id, a salted hash, is kept).
    pub email: Option<String>,
    /// Why.
    pub reason: SuppressionReason,
    /// When it was made.
    pub at: Timestamp,
    /// Who made it.
    pub actor: Actor,
}

/// The id of the suppression of `email_norm` in `workspace`: hex HMAC-SHA256 keyed with
/// the database's salt. The same for every backend, so `purrlist copy` keeps ids.
pub fn suppression_id(salt: &[u8], workspace: &WorkspaceId, email_norm: &str) -> String {
    // HMAC takes a key of any length; new_from_slice cannot fail for it.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(salt) else {
        return String::new();
    };
    mac.update(workspace.as_str().as_bytes());
    mac.update(b"\n");
    mac.update(email_norm.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether a string has the shape of a suppression id (64 lower-case hex digits).
pub fn is_suppression_id(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A new random salt for a database that has none yet (32 bytes from the CSPRNG).
pub fn new_salt() -> Vec<u8> {
    let bytes: [u8; 32] = rand::random();
    bytes.to_vec()
}

/// The suppressions a write may meet, by normalised address (a store fetches those of
/// every address the write touches).
pub type SuppressionsByEmail = HashMap<String, Suppression>;

/// A write refused because its address is suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suppressed(pub SuppressionReason);

impl Suppressed {
    /// The sentence for the client: why, and how to go ahead anyway.
    pub fn message(self) -> String {
        match self.0 {
            SuppressionReason::Erased => "This address was erased on request and may not be \
                added again; send `\"override_suppression\": true` only if the person asked \
                to be added again."
                .to_owned(),
            reason => format!(
                "This address is suppressed ({}): it cannot be subscribed again without \
                 `\"override_suppression\": true`.",
                reason.as_str()
            ),
        }
    }
}

/// Whether the write turning `before` (`None`: a new contact) into `after` may go ahead
/// under `suppression`, the one of `after`'s address. `Ok(true)`: it may, and the
/// suppression is lifted (the override was given); `Ok(false)`: it may, the suppression
/// (if any) stays.
pub fn admit_write(
    before: Option<&Contact>,
    after: &Contact,
    suppression: Option<&Suppression>,
    override_suppression: bool,
) -> Result<bool, Suppressed> {
    let Some(suppression) = suppression else {
        return Ok(false);
    };
    let Change {
        arrives,
        subscribes,
    } = Change::of(before, after);
    let blocked = subscribes || (suppression.reason == SuppressionReason::Erased && arrives);
    match (blocked, override_suppression) {
        (false, _) => Ok(false),
        (true, true) => Ok(true),
        (true, false) => Err(Suppressed(suppression.reason)),
    }
}

/// [`admit_write`] for one write, given its address's suppression as looked up: the lift
/// to write beside it when the override lifted that suppression, `None` when it stays (or
/// there is none).
pub fn lift_for(
    before: Option<&Contact>,
    after: &Contact,
    suppression: Option<Suppression>,
    override_given: bool,
) -> Result<Option<Lift>, Suppressed> {
    let lifts = admit_write(before, after, suppression.as_ref(), override_given)?;
    Ok(suppression.filter(|_| lifts).map(|suppression| Lift {
        contact_id: after.id.clone(),
        suppression,
    }))
}

/// Whether [`admit_write`] can refuse the write turning `before` into `after` under any
/// suppression: only one that subscribes or brings the contact to an address. For any
/// other write (most PUTs: a name, custom fields) the store need not look the address up.
pub fn could_refuse(before: Option<&Contact>, after: &Contact) -> bool {
    let change = Change::of(before, after);
    change.arrives || change.subscribes
}

/// What a write does that the suppression rule looks at.
struct Change {
    /// The contact is new, or now holds another address.
    arrives: bool,
    /// The contact is subscribed after the write and was not, at this address, before.
    subscribes: bool,
}

impl Change {
    fn of(before: Option<&Contact>, after: &Contact) -> Change {
        let arrives = before.is_none_or(|b| b.email.normalized() != after.email.normalized());
        let was_subscribed = before.is_some_and(|b| b.subscribed) && !arrives;
        Change {
            arrives,
            subscribes: after.subscribed && !was_subscribed,
        }
    }
}

/// A suppression lifted by a write that carried the override, for the store to delete and
/// record (`contact.unsuppressed`) beside the write.
#[derive(Debug, Clone, PartialEq)]
pub struct Lift {
    /// The contact the write left holding the address.
    pub contact_id: ContactId,
    /// The suppression lifted.
    pub suppression: Suppression,
}

/// The event of a suppression change of a contact: `contact.suppressed` (or
/// `contact.erased`) when `new` is given, `contact.unsuppressed` when it is lifted.
/// `subscribed` is `(before, after)` when the change also unsubscribed the contact.
pub fn suppression_event(
    workspace: &WorkspaceId,
    contact: &ContactId,
    old: Option<SuppressionReason>,
    new: Option<SuppressionReason>,
    subscribed: Option<(bool, bool)>,
) -> ContactEvent {
    let kind = match new {
        Some(SuppressionReason::Erased) => EventKind::Erased,
        Some(_) => EventKind::Suppressed,
        None => EventKind::Unsuppressed,
    };
    let mut changes = Map::new();
    if let Some((was, is)) = subscribed.filter(|(was, is)| was != is) {
        changes.insert("subscribed".into(), json!({"old": was, "new": is}));
    }
    let name = |r: Option<SuppressionReason>| r.map_or(Value::Null, |r| r.as_str().into());
    changes.insert(
        "suppression".into(),
        json!({"old": name(old), "new": name(new)}),
    );
    ContactEvent {
        kind,
        contact_id: contact.clone(),
        workspace_id: workspace.clone(),
        changes,
    }
}

/// The fields of an event's `changes` that hold personal data, removed on erasure.
pub const PERSONAL_FIELDS: [&str; 5] =
    ["name", "first_name", "last_name", "email", "custom_fields"];

/// An event's `changes` without personal data (erasure): only `subscribed` and
/// `suppression` stay.
pub fn scrubbed(changes: &Map<String, Value>) -> Map<String, Value> {
    changes
        .iter()
        .filter(|(field, _)| !PERSONAL_FIELDS.contains(&field.as_str()))
        .map(|(field, value)| (field.clone(), value.clone()))
        .collect()
}

/// Whether an event's `changes` name the address `email_norm` (old or new), so erasure
/// finds the events of contacts deleted earlier that held it.
pub fn mentions_email(changes: &Map<String, Value>, email_norm: &str) -> bool {
    let Some(Value::Object(email)) = changes.get("email") else {
        return false;
    };
    email
        .values()
        .filter_map(Value::as_str)
        .any(|given| super::email::normal_form(given) == email_norm)
}

/// The part of a normalised address before its last `@`, which every stored spelling of
/// the address contains up to ASCII case: a store's cheap first filter of events before
/// [`mentions_email`] decides.
pub fn local_part(email_norm: &str) -> &str {
    email_norm.rsplit_once('@').map_or(email_norm, |(l, _)| l)
}

#[cfg(test)]
mod tests;
