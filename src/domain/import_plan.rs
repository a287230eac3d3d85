//! An import's chunk of contacts, planned in memory over the contacts it touches: the bulk
//! rules (`domain::bulk`: items in order, each matched contact merged by
//! `domain::target::plan_update`, all or nothing) with what moving in adds, decided here
//! for every backend:
//!
//! - **Consent safety.** A row that says subscribed never turns a contact that is
//!   unsubscribed at that point (stored, or made so by an earlier row) back to subscribed,
//!   unless the import was asked to re-subscribe; the row's other fields still apply and
//!   its index is listed in [`ImportPlan::kept_unsubscribed`].
//! - **Match.** By the row's `id` when a contact of the workspace has it, else by the
//!   normalised email. A matched contact keeps its own id, unsubscribe token and createdAt.
//! - **Create.** A new contact takes the row's `id`, `unsub_token` and sign-up time
//!   (createdAt; a time in the future is now) when the row has them, so a move between
//!   purrlist servers keeps every unsubscribe link. An id or token that another contact
//!   already holds (in any workspace) fails the row.
//! - **Suppression** (`domain::suppression`). A row never subscribes a suppressed address
//!   without the override: over a contact it keeps `subscribed` as stored, a new contact is
//!   made unsubscribed, and an erased address is left out altogether (no contact holds it
//!   again); each such row is listed in [`ImportPlan::kept_suppressed`]. A row whose format
//!   says the tool had stopped mailing the address (Mailchimp cleaned, …) asks for a
//!   suppression of its own ([`ImportPlan::suppress`]).

use super::bulk::{BulkPlan, ItemError, ItemResult, ItemStatus, assemble};
use super::contact::{Contact, ContactPatch};
use super::email::EmailAddress;
use super::ids::{ContactId, UnsubToken, WorkspaceId};
use super::patch_input::{FieldError, FieldErrorKind};
use super::suppression::{Lift, SuppressionReason, SuppressionsByEmail, admit_write};
use super::target::{UpdateError, plan_update};
use super::timestamp::Timestamp;
// foldhash, not SipHash: these maps hold one chunk's keys, from the operator's own file or
// an authenticated import, and hashing them was ~4% of an import's CPU.
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

/// One validated row of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportItem {
    /// The fields to write (email always given).
    pub patch: ContactPatch,
    /// The id a created contact takes (and the contact it names, when one has it).
    pub id: Option<ContactId>,
    /// The unsubscribe token a created contact takes.
    pub unsub_token: Option<UnsubToken>,
    /// The createdAt a created contact takes: the original sign-up time.
    pub created_at: Option<Timestamp>,
    /// The suppression the file asks for (its tool had stopped mailing the address).
    pub suppress: Option<SuppressionReason>,
}

/// The ids, normalised emails and tokens a chunk names: a store fetches (and locks) every
/// contact of the workspace with one of the emails, and every contact of any workspace
/// with one of the ids or tokens, before calling [`plan_import`].
pub fn import_keys(items: &[ImportItem]) -> (Vec<&str>, Vec<&str>, Vec<&str>) {
    let ids = items
        .iter()
        .filter_map(|i| i.id.as_ref().map(|id| id.as_str()));
    let emails = items
        .iter()
        .filter_map(|i| i.patch.email.as_ref().map(|e| e.normalized()));
    let tokens = items
        .iter()
        .filter_map(|i| i.unsub_token.as_ref().map(|t| t.as_str()));
    (ids.collect(), emails.collect(), tokens.collect())
}

/// What a chunk writes, and which of its rows kept a contact unsubscribed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ImportPlan {
    /// The writes and each row's result, as a bulk request's.
    pub plan: BulkPlan,
    /// The indexes of rows that said subscribed over an unsubscribed contact and were not
    /// allowed to re-subscribe it.
    pub kept_unsubscribed: Vec<usize>,
    /// The indexes of rows kept from subscribing a suppressed address (or, for an erased
    /// one, left out).
    pub kept_suppressed: Vec<usize>,
    /// Suppressions the rows ask for, in row order, to write after the contacts.
    pub suppress: Vec<(EmailAddress, SuppressionReason)>,
}

/// Plans a chunk over `existing` (see [`import_keys`]; contacts of other workspaces only
/// hold ids and tokens). Any failing row fails the chunk, with every failing row listed.
pub fn plan_import(
    workspace: &WorkspaceId,
    existing: Vec<Contact>,
    items: &[ImportItem],
    now: Timestamp,
    resubscribe: bool,
) -> Result<ImportPlan, Vec<ItemError>> {
    let none = SuppressionsByEmail::new();
    plan_import_with(workspace, existing, none, items, now, resubscribe, false)
}

/// [`plan_import`] under `suppressions` (those of every address the rows name), with the
/// override (`--override-suppression`) or without.
pub fn plan_import_with(
    workspace: &WorkspaceId,
    existing: Vec<Contact>,
    mut suppressions: SuppressionsByEmail,
    items: &[ImportItem],
    now: Timestamp,
    resubscribe: bool,
    override_suppression: bool,
) -> Result<ImportPlan, Vec<ItemError>> {
    let mut run = Run::new(workspace, existing);
    let mut results = Vec::with_capacity(items.len());
    let (mut kept_unsubscribed, mut kept_suppressed) = (Vec::new(), Vec::new());
    let (mut suppress, mut lifts) = (Vec::new(), Vec::new());
    let mut errors = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let fail = |error: FieldError| ItemError { index, error };
        let slot = item
            .id
            .as_ref()
            .and_then(|id| run.by_id.get(id).copied())
            .or_else(|| {
                let email = item.patch.email.as_ref()?;
                run.by_email.get(email.normalized()).copied()
            });
        let norm = item.patch.email.as_ref().map(|e| e.normalized());
        let suppression = norm.and_then(|n| suppressions.get(n)).cloned();
        let held = suppression.is_some() && !override_suppression;
        // Only a row meeting a suppression needs the contact as it was (for a lift).
        let before = suppression
            .as_ref()
            .and(slot)
            .map(|s| run.contacts[s].1.clone());
        let outcome = match slot {
            Some(slot) => {
                let current = &run.contacts[slot].1;
                let mut patch = item.patch.clone();
                if patch.subscribed == Some(true) && !current.subscribed {
                    if held {
                        patch.subscribed = None;
                        kept_suppressed.push(index);
                    } else if !resubscribe {
                        patch.subscribed = None;
                        kept_unsubscribed.push(index);
                    }
                }
                run.update(slot, &patch, now)
            }
            None if held => match &suppression {
                Some(s) if s.reason == SuppressionReason::Erased => {
                    kept_suppressed.push(index);
                    continue;
                }
                _ if item.patch.subscribed == Some(false) => run.create(item, now),
                _ => {
                    let mut unsubscribed = item.clone();
                    unsubscribed.patch.subscribed = Some(false);
                    kept_suppressed.push(index);
                    run.create(&unsubscribed, now)
                }
            },
            None => run.create(item, now),
        };
        match outcome {
            Ok((id, status)) => {
                if let (Some(s), Some(&slot)) = (suppression, run.by_id.get(&id)) {
                    let after = &run.contacts[slot].1;
                    if admit_write(before.as_ref(), after, Some(&s), true) == Ok(true) {
                        suppressions.remove(after.email.normalized());
                        lifts.push(Lift {
                            contact_id: id.clone(),
                            suppression: s,
                        });
                    }
                }
                if let (Some(reason), Some(email)) = (item.suppress, &item.patch.email) {
                    suppress.push((email.clone(), reason));
                }
                results.push(ItemResult { index, id, status });
            }
            Err(error) => errors.push(fail(error)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let contacts = run.contacts.into_iter();
    let mut plan = assemble(contacts, results);
    plan.lifts = lifts;
    Ok(ImportPlan {
        plan,
        kept_unsubscribed,
        kept_suppressed,
        suppress,
    })
}

/// The contacts of the workspace as the rows so far left them, found by id and email, and
/// every id and token taken anywhere.
struct Run<'a> {
    workspace: &'a WorkspaceId,
    contacts: Vec<(Option<Contact>, Contact)>,
    by_id: HashMap<ContactId, usize>,
    by_email: HashMap<String, usize>,
    taken_ids: HashSet<ContactId>,
    taken_tokens: HashSet<UnsubToken>,
}

impl<'a> Run<'a> {
    fn new(workspace: &'a WorkspaceId, existing: Vec<Contact>) -> Run<'a> {
        // A chunk's rows add to what it found stored: room for both, at most a bulk's size.
        let room = existing.len() + super::bulk::MAX_BULK_ITEMS;
        let mut run = Run {
            workspace,
            contacts: Vec::with_capacity(room),
            by_id: HashMap::with_capacity(room),
            by_email: HashMap::with_capacity(room),
            taken_ids: HashSet::with_capacity(room),
            taken_tokens: HashSet::with_capacity(room),
        };
        for contact in existing {
            run.taken_ids.insert(contact.id.clone());
            run.taken_tokens.insert(contact.unsub_token.clone());
            if &contact.workspace_id == workspace && !run.by_id.contains_key(&contact.id) {
                run.add(Some(contact.clone()), contact);
            }
        }
        run
    }

    fn add(&mut self, original: Option<Contact>, current: Contact) {
        let slot = self.contacts.len();
        self.by_id.insert(current.id.clone(), slot);
        self.by_email
            .insert(current.email.normalized().to_owned(), slot);
        self.contacts.push((original, current));
    }

    fn update(
        &mut self,
        slot: usize,
        patch: &ContactPatch,
        now: Timestamp,
    ) -> Result<(ContactId, ItemStatus), FieldError> {
        let current = &self.contacts[slot].1;
        let holder = patch
            .email
            .as_ref()
            .and_then(|e| self.by_email.get(e.normalized()))
            .map(|&s| &self.contacts[s].1.id);
        match plan_update(current, holder, patch, now) {
            Ok(None) => Ok((current.id.clone(), ItemStatus::Unchanged)),
            Ok(Some(next)) => {
                let id = next.id.clone();
                if next.email.normalized() != current.email.normalized() {
                    self.by_email.remove(current.email.normalized());
                    self.by_email
                        .insert(next.email.normalized().to_owned(), slot);
                }
                self.contacts[slot].1 = next;
                Ok((id, ItemStatus::Updated))
            }
            Err(UpdateError::EmailTaken) => Err(FieldError::email_taken()),
            Err(UpdateError::CustomFields(e)) => Err(FieldError::custom_fields(&e)),
        }
    }

    fn create(
        &mut self,
        item: &ImportItem,
        now: Timestamp,
    ) -> Result<(ContactId, ItemStatus), FieldError> {
        let email = item
            .patch
            .email
            .clone()
            .ok_or_else(|| FieldError::missing("email"))?;
        let mut created = Contact::create(self.workspace.clone(), email, &item.patch, now)
            .map_err(|e| FieldError::custom_fields(&e))?;
        if let Some(id) = &item.id {
            if self.taken_ids.contains(id) {
                return Err(taken("id", "Another contact already has this id."));
            }
            created.id = id.clone();
        }
        if let Some(token) = &item.unsub_token {
            if self.taken_tokens.contains(token) {
                return Err(taken(
                    "unsub_token",
                    "Another contact already has this unsubscribe token.",
                ));
            }
            created.unsub_token = token.clone();
        }
        if let Some(at) = item.created_at {
            created.created_at = at.min(now);
        }
        self.taken_ids.insert(created.id.clone());
        self.taken_tokens.insert(created.unsub_token.clone());
        let id = created.id.clone();
        self.add(None, created);
        Ok((id, ItemStatus::Created))
    }
}

fn taken(field: &str, message: &str) -> FieldError {
    FieldError::new(field, FieldErrorKind::Invalid, message)
}

#[cfg(test)]
mod tests;
