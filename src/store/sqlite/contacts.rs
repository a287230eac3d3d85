//! [`ContactStore`] on SQLite. Reads go to the reader pool; writes run on the writer
//! thread inside its transaction, fetching what the domain's planners need
//! (`domain::target` for one contact, `domain::bulk` for many) and writing what they return.

use super::SqliteStore;
use super::events::record_change;
use super::list::list;
use super::rows::{CONTACT_COLUMNS, contact_from_row, insert_contacts, update_contact_row};
use super::suppressions::{suppressions_of, write_lifts};
use crate::domain::api_key::WorkspaceGrant;
use crate::domain::bulk::{BulkItem, BulkPlan, plan_bulk_with, touched_keys};
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::error::DomainError;
use crate::domain::events::Actor;
use crate::domain::evidence::{Origin, WriteEvidence};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::suppression::{could_refuse, lift_for};
use crate::domain::target::{Target, email_to_look_up, plan_update, visible_to};
use crate::domain::timestamp::Timestamp;
use crate::store::{
    BulkOutcome, ContactPage, ContactQuery, ContactStore, DeleteScope, StoreError, UpdateOutcome,
};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

/// The contact stored under `id`, in any workspace (the domain checks the grant).
pub(super) fn get(conn: &Connection, id: &ContactId) -> Result<Option<Contact>, StoreError> {
    let contact = conn
        .prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?1"
        ))?
        .query_row([id.as_str()], contact_from_row)
        .optional()?;
    Ok(contact)
}

/// The contact of `workspace` holding the normalised email, if any.
fn email_holder(
    conn: &Connection,
    workspace: &WorkspaceId,
    email_norm: &str,
) -> Result<Option<ContactId>, StoreError> {
    let id = conn
        .prepare_cached("SELECT id FROM contacts WHERE workspace_id = ?1 AND email_norm = ?2")?
        .query_row(params![workspace.as_str(), email_norm], |r| r.get(0))
        .optional()?;
    Ok(id.map(ContactId::from_stored))
}

pub(super) fn update(
    conn: &Connection,
    target: &Target,
    patch: &ContactPatch,
    now: Timestamp,
    origin: &Origin,
) -> Result<UpdateOutcome, StoreError> {
    let current = target.admit(get(conn, &target.id)?)?;
    let holder = match email_to_look_up(&current, patch) {
        Some(email) => email_holder(conn, &current.workspace_id, email)?,
        None => None,
    };
    let Some(next) = plan_update(&current, holder.as_ref(), patch, now)? else {
        return Ok(UpdateOutcome {
            contact: current,
            changed: false,
        });
    };
    let suppression = if could_refuse(Some(&current), &next) {
        suppressions_of(conn, &current.workspace_id, &[next.email.normalized()])?
            .into_values()
            .next()
    } else {
        None
    };
    let lift = lift_for(
        Some(&current),
        &next,
        suppression,
        patch.override_suppression,
    )
    .map_err(|refused| DomainError::Suppressed(refused.0))?;
    update_contact_row(conn, &current, &next)?;
    if let Some(lift) = lift {
        write_lifts(conn, &[lift], &origin.actor, &origin.evidence, now)?;
    }
    record_change(
        conn,
        Some(&current),
        Some(&next),
        &origin.actor,
        &origin.evidence,
        now,
    )?;
    Ok(UpdateOutcome {
        contact: next,
        changed: true,
    })
}

/// Every contact of `workspace` that an item names by id or by normalised email.
fn touched_contacts(
    conn: &Connection,
    workspace: &WorkspaceId,
    items: &[BulkItem],
) -> Result<Vec<Contact>, StoreError> {
    let (ids, emails) = touched_keys(items);
    let to_json = |v: &Vec<&str>| serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned());
    // Two indexed searches: with `id IN … OR email_norm IN …` SQLite scans the whole
    // workspace, which makes every bulk request cost O(contacts). `+workspace_id` keeps the
    // id search on the primary key; UNION returns a contact matched both ways once.
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE +workspace_id = ?1 \
         AND id IN (SELECT value FROM json_each(?2)) \
         UNION SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = ?1 \
         AND email_norm IN (SELECT value FROM json_each(?3))"
    ))?;
    let rows = stmt.query_map(
        params![workspace.as_str(), to_json(&ids), to_json(&emails)],
        contact_from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub(super) fn upsert(
    conn: &Connection,
    workspace: &WorkspaceId,
    items: &[BulkItem],
    now: Timestamp,
    origin: &Origin,
) -> Result<BulkOutcome, StoreError> {
    let existing = touched_contacts(conn, workspace, items)?;
    let (_, mut emails) = touched_keys(items);
    emails.extend(existing.iter().map(|c| c.email.normalized()));
    let suppressions = suppressions_of(conn, workspace, &emails)?;
    let plan = plan_bulk_with(workspace, existing, suppressions, items, now)
        .map_err(DomainError::BulkRejected)?;
    let evidence = WriteEvidence::for_bulk(&origin.evidence, items, &plan.results);
    write_plan(conn, &plan, &origin.actor, &evidence, now)?;
    Ok(BulkOutcome {
        results: plan.results,
        refused: plan.refused,
    })
}

/// Writes a bulk (or import) plan with its events.
pub(super) fn write_plan(
    conn: &Connection,
    plan: &BulkPlan,
    actor: &Actor,
    evidence: &WriteEvidence<'_>,
    now: Timestamp,
) -> Result<(), StoreError> {
    // Emails may move between contacts (a swap); park the moving ones first so the
    // unique index never sees two rows with one email midway.
    let mut park =
        conn.prepare_cached("UPDATE contacts SET email_norm = '\u{1}' || id WHERE id = ?1")?;
    for (before, after) in &plan.updates {
        if before.email.normalized() != after.email.normalized() {
            park.execute([before.id.as_str()])?;
        }
    }
    for (before, after) in &plan.updates {
        update_contact_row(conn, before, after)?;
    }
    insert_contacts(conn, &plan.creates)?;
    for lift in &plan.lifts {
        let evidence = evidence.of(&lift.contact_id);
        write_lifts(conn, std::slice::from_ref(lift), actor, &evidence, now)?;
    }
    for (before, after) in plan.changes_in_item_order() {
        record_change(
            conn,
            before,
            Some(after),
            actor,
            &evidence.of(&after.id),
            now,
        )?;
    }
    Ok(())
}

fn delete_one(
    conn: &Connection,
    target: &Target,
    now: Timestamp,
    origin: &Origin,
) -> Result<bool, StoreError> {
    let contact = match target.admit(get(conn, &target.id)?) {
        Ok(contact) => contact,
        Err(DomainError::ContactNotFound) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let removed = conn
        .prepare_cached("DELETE FROM contacts WHERE id = ?1")?
        .execute([contact.id.as_str()])?;
    record_change(
        conn,
        Some(&contact),
        None,
        &origin.actor,
        &origin.evidence,
        now,
    )?;
    Ok(removed == 1)
}

/// Deletes in one statement and records a `deleted` event per contact, in list order.
fn delete_many(
    conn: &Connection,
    workspace: &WorkspaceId,
    scope: DeleteScope,
    now: Timestamp,
    origin: &Origin,
) -> Result<u64, StoreError> {
    let filter = match scope {
        DeleteScope::UnsubscribedOnly => "workspace_id = ?1 AND subscribed = 0",
        DeleteScope::Everyone => "workspace_id = ?1",
    };
    let mut removed: Vec<Contact> = conn
        .prepare_cached(&format!(
            "DELETE FROM contacts WHERE {filter} RETURNING {CONTACT_COLUMNS}"
        ))?
        .query_map([workspace.as_str()], contact_from_row)?
        .collect::<Result<_, _>>()?;
    removed.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    for contact in &removed {
        record_change(
            conn,
            Some(contact),
            None,
            &origin.actor,
            &origin.evidence,
            now,
        )?;
    }
    Ok(removed.len() as u64)
}

#[async_trait]
impl ContactStore for SqliteStore {
    async fn get_contact(
        &self,
        id: &ContactId,
        grant: &WorkspaceGrant,
    ) -> Result<Option<Contact>, StoreError> {
        let id = id.clone();
        let found = self.readers.read(move |conn| get(conn, &id)).await?;
        Ok(visible_to(grant, found))
    }

    async fn update_contact(
        &self,
        target: Target,
        patch: ContactPatch,
        now: Timestamp,
        origin: Origin,
    ) -> Result<UpdateOutcome, StoreError> {
        self.writer
            .write(move |conn| update(conn, &target, &patch, now, &origin))
            .await
    }

    async fn upsert_contacts(
        &self,
        workspace: WorkspaceId,
        items: Vec<BulkItem>,
        now: Timestamp,
        origin: Origin,
    ) -> Result<BulkOutcome, StoreError> {
        self.writer
            .write(move |conn| upsert(conn, &workspace, &items, now, &origin))
            .await
    }

    async fn list_contacts(&self, query: ContactQuery) -> Result<ContactPage, StoreError> {
        self.readers.read(move |conn| list(conn, &query)).await
    }

    async fn delete_contact(
        &self,
        target: Target,
        now: Timestamp,
        origin: Origin,
    ) -> Result<bool, StoreError> {
        self.writer
            .write(move |conn| delete_one(conn, &target, now, &origin))
            .await
    }

    async fn delete_contacts(
        &self,
        workspace: WorkspaceId,
        scope: DeleteScope,
        now: Timestamp,
        origin: Origin,
    ) -> Result<u64, StoreError> {
        self.writer
            .write(move |conn| delete_many(conn, &workspace, scope, now, &origin))
            .await
    }
}
