//! What a dry run remembers between chunks, so it reports what a real run would do: a
//! real run's chunk sees the contacts earlier chunks wrote, a dry run's sees only the
//! stored ones plus these. Only contacts that a later chunk names again are kept: the check
//! pass notes the last chunk each id, email and token appears in (8 + 4 bytes per key), so
//! memory stays small and flat in the contacts, whatever the file's size.

use super::chunks::Numbered;
use crate::domain::contact::Contact;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::import_plan::{ImportItem, ImportPlan};
use crate::store::{ChunkOutcomes, ImportOutcome, ImportWrite, StoreError, TransferStore};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

#[derive(Hash)]
enum Key<'a> {
    Id(&'a str),
    Email(&'a str),
    Token(&'a str),
}

fn hashed(key: Key<'_>) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

fn item_keys(item: &ImportItem) -> impl Iterator<Item = u64> + '_ {
    let id = item.id.as_ref().map(|id| Key::Id(id.as_str()));
    let email = item
        .patch
        .email
        .as_ref()
        .map(|e| Key::Email(e.normalized()));
    let token = item.unsub_token.as_ref().map(|t| Key::Token(t.as_str()));
    [id, email, token].into_iter().flatten().map(hashed)
}

fn contact_keys(contact: &Contact) -> [u64; 3] {
    [
        hashed(Key::Id(contact.id.as_str())),
        hashed(Key::Email(contact.email.normalized())),
        hashed(Key::Token(contact.unsub_token.as_str())),
    ]
}

/// The contacts earlier chunks of a dry run planned, that later chunks name again.
#[derive(Default)]
pub(super) struct Earlier {
    last_chunk: HashMap<u64, u32>,
    contacts: HashMap<ContactId, Contact>,
    keys: HashMap<u64, ContactId>,
}

impl Earlier {
    /// Notes, in the check pass, that `item` is in chunk `chunk`.
    pub(super) fn note(&mut self, chunk: u32, item: &ImportItem) {
        for key in item_keys(item) {
            self.last_chunk.insert(key, chunk);
        }
    }

    /// Plans `chunks` in order as `TransferStore::import_contact_chunks` would write them,
    /// stopping at the first the plan rejects.
    pub(super) async fn plan(
        &mut self,
        store: &Arc<dyn TransferStore>,
        workspace: &WorkspaceId,
        chunks: &[Numbered],
        write: &ImportWrite,
    ) -> Result<ChunkOutcomes<ImportOutcome>, StoreError> {
        let mut done = ChunkOutcomes::with_capacity(chunks.len());
        for chunk in chunks {
            let items: Vec<ImportItem> = chunk.rows.iter().map(|(_, item)| item.clone()).collect();
            let earlier = self.named_by(&items);
            let planned = store
                .plan_import_chunk(workspace.clone(), items, earlier, write.clone())
                .await;
            if let Ok(plan) = &planned {
                self.remember(chunk.index, plan);
            }
            if !done.record(planned.map(ImportOutcome::from))? {
                break;
            }
        }
        Ok(done)
    }

    fn named_by(&self, items: &[ImportItem]) -> Vec<Contact> {
        let mut found: HashMap<&ContactId, &Contact> = HashMap::new();
        for key in items.iter().flat_map(item_keys) {
            if let Some(contact) = self.keys.get(&key).and_then(|id| self.contacts.get(id)) {
                found.insert(&contact.id, contact);
            }
        }
        found.into_values().cloned().collect()
    }

    fn remember(&mut self, chunk: u32, plan: &ImportPlan) {
        let created = plan.plan.creates.iter().map(|c| (None, c));
        let updated = plan.plan.updates.iter().map(|(b, a)| (Some(b), a));
        for (before, contact) in created.chain(updated) {
            let keys = contact_keys(contact);
            // A later row with the email it had (stored, it still has it) must see it too.
            let old_email = before
                .filter(|b| b.email.normalized() != contact.email.normalized())
                .map(|b| hashed(Key::Email(b.email.normalized())));
            let named_later = keys
                .iter()
                .chain(old_email.iter())
                .any(|k| self.last_chunk.get(k).is_some_and(|&last| last > chunk));
            if named_later {
                for key in keys.into_iter().chain(old_email) {
                    self.keys.insert(key, contact.id.clone());
                }
                self.contacts.insert(contact.id.clone(), contact.clone());
            } else {
                self.contacts.remove(&contact.id);
            }
        }
    }
}
