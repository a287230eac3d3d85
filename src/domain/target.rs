//! The single-contact write, decided here for every backend: which contact it is about
//! ([`Target`]), whether the caller may see it (the key's workspace grant), whether it is
//! still at the version `If-Match` names, which email holder matters, and the merge.
//! A backend fetches (and locks) the stored contact and the email's holder, calls these
//! planners, and persists what they return.

use super::api_key::WorkspaceGrant;
use super::contact::{Contact, ContactPatch};
use super::custom_fields::CustomFieldsError;
use super::error::DomainError;
use super::ids::ContactId;
use super::timestamp::Timestamp;

/// The condition of a single-contact write (`If-Match`), checked in its transaction.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Precondition {
    /// No condition.
    #[default]
    None,
    /// `If-Match: *`: any existing contact.
    Exists,
    /// The contact's version must be one of these (an empty list never matches).
    Versions(Vec<i64>),
}

impl Precondition {
    /// Whether a contact at `version` meets the condition.
    pub fn allows(&self, version: i64) -> bool {
        match self {
            Precondition::None | Precondition::Exists => true,
            Precondition::Versions(list) => list.contains(&version),
        }
    }
}

/// What a single-contact write is about: the contact, who may touch it, on what condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The contact named in the path.
    pub id: ContactId,
    /// The workspaces the caller's key may use.
    pub grant: WorkspaceGrant,
    /// `If-Match`.
    pub precondition: Precondition,
}

/// The grant check on a contact found by id: one in a workspace the grant does not include
/// is as good as absent (404, never 403, so a key cannot probe other workspaces' ids).
pub fn visible_to(grant: &WorkspaceGrant, found: Option<Contact>) -> Option<Contact> {
    found.filter(|contact| grant.includes(&contact.workspace_id))
}

impl Target {
    /// The contact the write may change, given `found`, what is stored under `self.id`:
    /// `ContactNotFound` when the grant does not show one, `PreconditionFailed` when it is
    /// not at a version `If-Match` names.
    pub fn admit(&self, found: Option<Contact>) -> Result<Contact, DomainError> {
        let current = visible_to(&self.grant, found).ok_or(DomainError::ContactNotFound)?;
        if !self.precondition.allows(current.version) {
            return Err(DomainError::PreconditionFailed);
        }
        Ok(current)
    }
}

/// The normalised email whose holder [`plan_update`] must be told about: the patch's, when
/// it differs from the contact's own. `None` when there is nothing to look up: an
/// unchanged email can only be held by the contact itself (one email per workspace).
pub fn email_to_look_up<'a>(current: &Contact, patch: &'a ContactPatch) -> Option<&'a str> {
    patch
        .email
        .as_ref()
        .map(|email| email.normalized())
        .filter(|email| *email != current.email.normalized())
}

/// Why a single-contact update cannot be applied.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateError {
    /// Another contact of the workspace already has the new email.
    EmailTaken,
    /// The merged custom_fields break a limit.
    CustomFields(CustomFieldsError),
}

/// Plans an update of `current`: `email_holder` is the contact of the same workspace that
/// holds the patch's normalised email, if any (a store asks for it as [`email_to_look_up`]
/// says). `Ok(None)` when nothing changes.
pub fn plan_update(
    current: &Contact,
    email_holder: Option<&ContactId>,
    patch: &ContactPatch,
    now: Timestamp,
) -> Result<Option<Contact>, UpdateError> {
    if email_holder.is_some_and(|holder| holder != &current.id) {
        return Err(UpdateError::EmailTaken);
    }
    current
        .merged(patch, now)
        .map_err(UpdateError::CustomFields)
}

/// Plans setting `subscribed` (the unsubscribe link): `Ok(None)` when it already is.
pub fn plan_subscription(
    current: &Contact,
    subscribed: bool,
    now: Timestamp,
) -> Result<Option<Contact>, DomainError> {
    let patch = ContactPatch {
        subscribed: Some(subscribed),
        ..ContactPatch::default()
    };
    current
        .merged(&patch, now)
        .map_err(DomainError::InvalidCustomFields)
}

#[cfg(test)]
mod tests;
