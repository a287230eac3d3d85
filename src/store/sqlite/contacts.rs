//! Contact reads and writes. Writes run on the writer thread inside its transaction;
//! the rules themselves come from `domain::bulk`.

use super::events::record_change;
use super::rows::{CONTACT_COLUMNS, contact_from_row, insert_contacts, update_contact_row};
use crate::domain::api_key::WorkspaceGrant;
use crate::domain::bulk::{BulkItem, plan_bulk, plan_update, touched_keys};
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::events::Actor;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::{
    BulkOutcome, ContactPage, ContactQuery, DeleteScope, Precondition, StoreError, UpdateOutcome,
};
use rusqlite::{Connection, OptionalExtension, ToSql, params, params_from_iter};

pub fn get(conn: &Connection, id: &ContactId) -> Result<Option<Contact>, StoreError> {
    let contact = conn
        .prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ?1"
        ))?
        .query_row([id.as_str()], contact_from_row)
        .optional()?;
    Ok(contact)
}

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

/// What a single-contact write is about: the contact, who may touch it, on what condition.
pub struct Target<'a> {
    pub id: &'a ContactId,
    pub grant: &'a WorkspaceGrant,
    pub precondition: &'a Precondition,
}

fn current(conn: &Connection, target: &Target<'_>) -> Result<Contact, StoreError> {
    let current = get(conn, target.id)?
        .filter(|c| target.grant.includes(&c.workspace_id))
        .ok_or(StoreError::ContactNotFound)?;
    if !target.precondition.allows(current.version) {
        return Err(StoreError::PreconditionFailed);
    }
    Ok(current)
}

pub fn update(
    conn: &Connection,
    target: &Target<'_>,
    patch: &ContactPatch,
    now: Timestamp,
    actor: &Actor,
) -> Result<UpdateOutcome, StoreError> {
    let current = current(conn, target)?;
    // The unique index means an unchanged email can only be held by this contact.
    let holder = match &patch.email {
        Some(email) if email.normalized() != current.email.normalized() => {
            email_holder(conn, &current.workspace_id, email.normalized())?
        }
        _ => None,
    };
    match plan_update(&current, holder.as_ref(), patch, now) {
        Ok(Some(next)) => {
            update_contact_row(conn, &current, &next)?;
            record_change(conn, Some(&current), Some(&next), actor, now)?;
            Ok(UpdateOutcome {
                contact: next,
                changed: true,
            })
        }
        Ok(None) => Ok(UpdateOutcome {
            contact: current,
            changed: false,
        }),
        Err(e) => Err(e.into()),
    }
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

pub fn upsert(
    conn: &Connection,
    workspace: &WorkspaceId,
    items: &[BulkItem],
    now: Timestamp,
    actor: &Actor,
) -> Result<BulkOutcome, StoreError> {
    let existing = touched_contacts(conn, workspace, items)?;
    let plan = plan_bulk(workspace, existing, items, now).map_err(StoreError::BulkRejected)?;
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
    for (before, after) in plan.changes_in_item_order() {
        record_change(conn, before, Some(after), actor, now)?;
    }
    Ok(BulkOutcome {
        results: plan.results,
    })
}

/// The workspace's total from the counts of migration 0003 (kept by triggers and, for
/// inserts, by `rows::insert_contacts`), for a
/// query without an email filter; `None` when the workspace has no counts row.
fn counted_total(conn: &Connection, query: &ContactQuery) -> Result<Option<i64>, StoreError> {
    if query.email.is_some() {
        return Ok(None);
    }
    let counts: Option<(i64, i64)> = conn
        .prepare_cached(
            "SELECT contacts, subscribed FROM workspace_counts WHERE workspace_id = ?1",
        )?
        .query_row([query.workspace.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    Ok(counts.map(|(contacts, subscribed)| match query.subscribed {
        None => contacts,
        Some(true) => subscribed,
        Some(false) => contacts - subscribed,
    }))
}

pub fn list(conn: &Connection, query: &ContactQuery) -> Result<ContactPage, StoreError> {
    let workspace = query.workspace.as_str();
    let mut filter = String::from("workspace_id = ?");
    let mut args: Vec<&dyn ToSql> = vec![&workspace];
    if let Some(email) = &query.email {
        filter.push_str(" AND email_norm = ?");
        args.push(email);
    }
    if let Some(subscribed) = &query.subscribed {
        filter.push_str(" AND subscribed = ?");
        args.push(subscribed);
    }
    if query.email.is_some() {
        // An email matches at most one contact (the unique index): the rows found are
        // the total, so no COUNT query; the page is cut from them.
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE {filter} ORDER BY created_at, id"
        ))?;
        let found: Vec<Contact> = stmt
            .query_map(params_from_iter(args.iter()), contact_from_row)?
            .collect::<Result<_, _>>()?;
        let total = found.len() as u64;
        let contacts = found
            .into_iter()
            .skip(usize::try_from(query.offset).unwrap_or(usize::MAX))
            .take(query.limit as usize)
            .collect();
        return Ok(ContactPage { contacts, total });
    }
    let total: i64 = match counted_total(conn, query)? {
        Some(total) => total,
        None => conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM contacts WHERE {filter}"))?
            .query_row(params_from_iter(args.iter()), |r| r.get(0))?,
    };
    let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
    let contacts = if offset >= total {
        Vec::new()
    } else {
        let limit = i64::from(query.limit);
        args.push(&limit);
        args.push(&offset);
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE {filter} ORDER BY created_at, id LIMIT ? OFFSET ?"
        ))?;
        let rows = stmt.query_map(params_from_iter(args.iter()), contact_from_row)?;
        rows.collect::<Result<_, _>>()?
    };
    Ok(ContactPage {
        contacts,
        total: u64::try_from(total).unwrap_or(0),
    })
}

pub fn delete_one(
    conn: &Connection,
    target: &Target<'_>,
    now: Timestamp,
    actor: &Actor,
) -> Result<bool, StoreError> {
    let contact = match current(conn, target) {
        Ok(contact) => contact,
        Err(StoreError::ContactNotFound) => return Ok(false),
        Err(e) => return Err(e),
    };
    let removed = conn
        .prepare_cached("DELETE FROM contacts WHERE id = ?1")?
        .execute([contact.id.as_str()])?;
    record_change(conn, Some(&contact), None, actor, now)?;
    Ok(removed == 1)
}

/// Deletes in one statement and records a `deleted` event per contact, in list order.
pub fn delete_many(
    conn: &Connection,
    workspace: &WorkspaceId,
    scope: DeleteScope,
    now: Timestamp,
    actor: &Actor,
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
        record_change(conn, Some(contact), None, actor, now)?;
    }
    Ok(removed.len() as u64)
}

/// Up to `limit` contacts of a workspace after `after`, in (createdAt, id) order.
pub fn export(
    conn: &Connection,
    workspace: &WorkspaceId,
    after: Option<&(Timestamp, ContactId)>,
    limit: u32,
) -> Result<Vec<Contact>, StoreError> {
    let (created, id) = match after {
        Some((t, id)) => (t.millis(), id.as_str()),
        None => (i64::MIN, ""),
    };
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = ?1 \
         AND (created_at, id) > (?2, ?3) ORDER BY created_at, id LIMIT ?4"
    ))?;
    let rows = stmt.query_map(
        params![workspace.as_str(), created, id, i64::from(limit)],
        contact_from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}
