//! Create-or-update of many contacts at once, planned in memory over the contacts they
//! touch. Stores fetch those contacts, call
//! [`plan_bulk`], and write its result in one transaction, so every backend applies the
//! same rules: match by id then by normalised email, items in order, all or nothing.
//! Each matched item is merged by `domain::target::plan_update`, the rule PUT uses, and
//! checked against the suppression of its address (`domain::suppression::admit_write`): an
//! item refused for that is left out and reported on its own ([`BulkPlan::refused`]),
//! while the other items apply.

use super::confirmation::{creation_patch, wants_confirmation, without_subscription};
use super::contact::{Contact, ContactPatch};
use super::evidence::{Consent, parse_consent};
use super::ids::{ContactId, WorkspaceId};
use super::patch_input::{EmailRule, FieldError, FieldErrorKind, parse_contact_patch};
use super::suppression::{Lift, Suppressed, SuppressionsByEmail, admit_write};
use super::target::{UpdateError, plan_update};
use super::timestamp::Timestamp;
use serde_json::Value;
use std::collections::HashMap;

/// Fewest and most items in one bulk request.
pub const MAX_BULK_ITEMS: usize = 1000;

/// One validated item of a bulk request.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkItem {
    /// The contact to update, when the client named one.
    pub id: Option<ContactId>,
    /// An id that is not of the `con_` shape: the item fails as `contact_not_found`.
    pub malformed_id: bool,
    /// The fields to write.
    pub patch: ContactPatch,
    /// Why the item could not be read, if it could not: the plan reports it at the item's
    /// index beside every other failing item (the item itself matches nothing).
    pub invalid: Option<FieldError>,
    /// The end user's evidence the client forwarded (`"consent"`), kept on this item's event.
    pub consent: Option<Consent>,
    /// The `"confirm": true` extension (double opt-in): a new contact starts unsubscribed,
    /// an existing one keeps its state, and the item's `subscribed` is ignored.
    pub confirm: bool,
}

impl BulkItem {
    /// An item that could not be read; it fails the plan with `error`.
    pub fn invalid(error: FieldError) -> BulkItem {
        BulkItem {
            id: None,
            malformed_id: false,
            patch: ContactPatch::default(),
            invalid: Some(error),
            consent: None,
            confirm: false,
        }
    }
}

/// What became of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemStatus {
    /// A new contact.
    Created,
    /// An existing contact (or one made earlier in the request) changed.
    Updated,
    /// The item matched a contact and changed nothing.
    Unchanged,
}

impl ItemStatus {
    /// `created`, `updated` or `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Created => "created",
            ItemStatus::Updated => "updated",
            ItemStatus::Unchanged => "unchanged",
        }
    }
}

/// The outcome of one item.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemResult {
    /// Position in the request.
    pub index: usize,
    /// The contact it created or matched.
    pub id: ContactId,
    /// What happened.
    pub status: ItemStatus,
}

/// Why one item of a bulk request cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    /// Position in the request.
    pub index: usize,
    /// The field at fault.
    pub error: FieldError,
}

/// An item left out because its address is suppressed (the other items still apply).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemRefusal {
    /// Position in the request.
    pub index: usize,
    /// The contact it matched, if it matched one.
    pub id: Option<ContactId>,
    /// Why.
    pub refusal: Suppressed,
}

/// Everything a bulk request writes: final states only, each contact once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BulkPlan {
    /// Contacts to insert.
    pub creates: Vec<Contact>,
    /// Existing contacts to overwrite: (as stored, as it must become).
    pub updates: Vec<(Contact, Contact)>,
    /// One entry per applied item, in order.
    pub results: Vec<ItemResult>,
    /// Items left out because their address is suppressed, in order.
    pub refused: Vec<ItemRefusal>,
    /// Suppressions lifted by items that carried the override.
    pub lifts: Vec<Lift>,
}

impl BulkPlan {
    /// How many items had each status: (created, updated, unchanged).
    pub fn counts(&self) -> (usize, usize, usize) {
        let count = |s| self.results.iter().filter(|r| r.status == s).count();
        (
            count(ItemStatus::Created),
            count(ItemStatus::Updated),
            count(ItemStatus::Unchanged),
        )
    }

    /// Every write of the plan as (before, after), in the order of the first item that
    /// touched each contact (`before` is `None` for a created contact), for the change feed.
    pub fn changes_in_item_order(&self) -> Vec<(Option<&Contact>, &Contact)> {
        let mut changes: Vec<(Option<&Contact>, &Contact)> = self
            .updates
            .iter()
            .map(|(before, after)| (Some(before), after))
            .chain(self.creates.iter().map(|created| (None, created)))
            .collect();
        let mut first_item: HashMap<&ContactId, usize> = HashMap::new();
        for result in &self.results {
            first_item.entry(&result.id).or_insert(result.index);
        }
        changes.sort_by_key(|(_, after)| first_item.get(&after.id).copied().unwrap_or(usize::MAX));
        changes
    }

    /// True when the request changes nothing in storage.
    pub fn is_noop(&self) -> bool {
        self.creates.is_empty() && self.updates.is_empty() && self.lifts.is_empty()
    }
}

/// Reads one bulk item: the PUT fields plus an optional `id`; `email` required without `id`.
pub fn parse_bulk_item(item: &Value) -> Result<BulkItem, FieldError> {
    let Value::Object(map) = item else {
        return Err(FieldError::invalid(
            "contacts",
            "Each contact must be a JSON object.",
        ));
    };
    let (id, malformed_id) = match map.get("id") {
        None | Some(Value::Null) => (None, false),
        Some(Value::String(s)) => match ContactId::parse(s) {
            Some(id) => (Some(id), false),
            None => (None, true),
        },
        Some(_) => {
            return Err(FieldError::invalid("id", "`id` must be a string."));
        }
    };
    let rule = if id.is_some() || malformed_id {
        EmailRule::Optional
    } else {
        EmailRule::Required
    };
    let confirm = wants_confirmation(map)?;
    let patch = parse_contact_patch(map, rule)?;
    Ok(BulkItem {
        id,
        malformed_id,
        patch: if confirm {
            without_subscription(patch)
        } else {
            patch
        },
        invalid: None,
        consent: map.get("consent").map(parse_consent).transpose()?.flatten(),
        confirm,
    })
}

/// The ids and normalised emails a request's items name: every contact a store must
/// fetch (or lock) before calling [`plan_bulk`].
pub fn touched_keys(items: &[BulkItem]) -> (Vec<&str>, Vec<&str>) {
    let ids = items
        .iter()
        .filter_map(|i| i.id.as_ref().map(ContactId::as_str))
        .collect();
    let emails = items
        .iter()
        .filter_map(|i| i.patch.email.as_ref().map(|e| e.normalized()))
        .collect();
    (ids, emails)
}

struct Working {
    original: Option<Contact>,
    current: Contact,
}

/// Plans a bulk request over `existing`: every contact of `workspace` whose id or
/// normalised email appears in `items`. Items apply in order, as if sent one after
/// another; any failing item fails the whole plan, with every failing item listed.
pub fn plan_bulk(
    workspace: &WorkspaceId,
    existing: Vec<Contact>,
    items: &[BulkItem],
    now: Timestamp,
) -> Result<BulkPlan, Vec<ItemError>> {
    plan_bulk_with(workspace, existing, SuppressionsByEmail::new(), items, now)
}

/// [`plan_bulk`] under `suppressions`: those of every address the items and `existing`
/// hold. An item that would subscribe a suppressed address (or bring back an erased one)
/// without the override is left out and listed in [`BulkPlan::refused`].
pub fn plan_bulk_with(
    workspace: &WorkspaceId,
    existing: Vec<Contact>,
    mut suppressions: SuppressionsByEmail,
    items: &[BulkItem],
    now: Timestamp,
) -> Result<BulkPlan, Vec<ItemError>> {
    let mut refused = Vec::new();
    let mut lifts = Vec::new();
    let mut contacts: Vec<Working> = Vec::with_capacity(existing.len() + items.len());
    let mut by_id: HashMap<ContactId, usize> = HashMap::new();
    let mut by_email: HashMap<String, usize> = HashMap::new();
    for c in existing
        .into_iter()
        .filter(|c| &c.workspace_id == workspace)
    {
        by_id.insert(c.id.clone(), contacts.len());
        by_email.insert(c.email.normalized().to_owned(), contacts.len());
        contacts.push(Working {
            original: Some(c.clone()),
            current: c,
        });
    }

    let mut results = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let fail = |error: FieldError| ItemError { index, error };
        if let Some(error) = &item.invalid {
            errors.push(fail(error.clone()));
            continue;
        }
        let target = match (&item.id, item.malformed_id) {
            (Some(id), _) => match by_id.get(id) {
                Some(&slot) => Some(slot),
                None => {
                    errors.push(fail(not_found()));
                    continue;
                }
            },
            (None, true) => {
                errors.push(fail(not_found()));
                continue;
            }
            (None, false) => item
                .patch
                .email
                .as_ref()
                .and_then(|e| by_email.get(e.normalized()).copied()),
        };
        let Some(slot) = target else {
            let Some(email) = item.patch.email.clone() else {
                errors.push(fail(FieldError::missing("email")));
                continue;
            };
            // Asked to confirm: created unsubscribed (no copy of the patch otherwise).
            let confirming;
            let patch = if item.confirm {
                confirming = creation_patch(&item.patch);
                &confirming
            } else {
                &item.patch
            };
            match Contact::create(workspace.clone(), email, patch, now) {
                Ok(created) => {
                    let norm = created.email.normalized();
                    let override_given = item.patch.override_suppression;
                    match admit_write(None, &created, suppressions.get(norm), override_given) {
                        Err(refusal) => {
                            refused.push(ItemRefusal {
                                index,
                                id: None,
                                refusal,
                            });
                            continue;
                        }
                        Ok(true) => {
                            lifts.extend(suppressions.remove(norm).map(|suppression| Lift {
                                contact_id: created.id.clone(),
                                suppression,
                            }))
                        }
                        Ok(false) => {}
                    }
                    by_id.insert(created.id.clone(), contacts.len());
                    by_email.insert(created.email.normalized().to_owned(), contacts.len());
                    results.push(ItemResult {
                        index,
                        id: created.id.clone(),
                        status: ItemStatus::Created,
                    });
                    contacts.push(Working {
                        original: None,
                        current: created,
                    });
                }
                Err(e) => errors.push(fail(FieldError::custom_fields(&e))),
            }
            continue;
        };
        let holder = item
            .patch
            .email
            .as_ref()
            .and_then(|e| by_email.get(e.normalized()))
            .map(|&s| &contacts[s].current.id);
        let current = &contacts[slot].current;
        match plan_update(current, holder, &item.patch, now) {
            Ok(None) => results.push(ItemResult {
                index,
                id: current.id.clone(),
                status: ItemStatus::Unchanged,
            }),
            Ok(Some(next)) => {
                let norm = next.email.normalized();
                let override_given = item.patch.override_suppression;
                match admit_write(Some(current), &next, suppressions.get(norm), override_given) {
                    Err(refusal) => {
                        refused.push(ItemRefusal {
                            index,
                            id: Some(current.id.clone()),
                            refusal,
                        });
                        continue;
                    }
                    Ok(true) => lifts.extend(suppressions.remove(norm).map(|suppression| Lift {
                        contact_id: next.id.clone(),
                        suppression,
                    })),
                    Ok(false) => {}
                }
                results.push(ItemResult {
                    index,
                    id: next.id.clone(),
                    status: ItemStatus::Updated,
                });
                if next.email.normalized() != current.email.normalized() {
                    by_email.remove(current.email.normalized());
                    by_email.insert(next.email.normalized().to_owned(), slot);
                }
                contacts[slot].current = next;
            }
            Err(UpdateError::EmailTaken) => errors.push(fail(FieldError::email_taken())),
            Err(UpdateError::CustomFields(e)) => errors.push(fail(FieldError::custom_fields(&e))),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let mut plan = assemble(
        contacts.into_iter().map(|w| (w.original, w.current)),
        results,
    );
    plan.refused = refused;
    plan.lifts = lifts;
    Ok(plan)
}

/// The plan of a finished run over the contacts it saw, each as (as stored, as it
/// became): created ones at version 1, changed ones one version up, the rest left out.
pub(crate) fn assemble(
    contacts: impl Iterator<Item = (Option<Contact>, Contact)>,
    results: Vec<ItemResult>,
) -> BulkPlan {
    let mut plan = BulkPlan {
        results,
        ..BulkPlan::default()
    };
    for (original, mut current) in contacts {
        match original {
            None => {
                current.version = 1;
                plan.creates.push(current);
            }
            Some(before) if !before.same_content(&current) => {
                current.version = before.version + 1;
                plan.updates.push((before, current));
            }
            Some(_) => {}
        }
    }
    plan
}

fn not_found() -> FieldError {
    FieldError::new(
        "id",
        FieldErrorKind::ContactNotFound,
        "No contact with this id exists in this workspace.",
    )
}

#[cfg(test)]
mod tests;
