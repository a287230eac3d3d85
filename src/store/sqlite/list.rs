//! The contact list on SQLite: one page in (createdAt, id) order and its total, the total
//! read from the per-workspace counts when the query allows (no COUNT over the workspace).
//! A keyset page (`after`) is one seek into `contacts_workspace_order` (or
//! `…_subscribed_order`) at the cursor's `(created_at, id)`, however deep it is.

use super::rows::{CONTACT_COLUMNS, contact_from_row};
use crate::domain::contact::Contact;
use crate::store::{ContactPage, ContactQuery, StoreError};
use rusqlite::{Connection, OptionalExtension, ToSql, params_from_iter};

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
    Ok(counts.map(|(contacts, subscribed)| query.total_from_counts(contacts, subscribed)))
}

pub(super) fn list(conn: &Connection, query: &ContactQuery) -> Result<ContactPage, StoreError> {
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
            .filter(|c| query.after.as_ref().is_none_or(|after| after.is_before(c)))
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
    let after = query
        .after
        .as_ref()
        .map(|c| (c.created_at.millis(), c.id.as_str()));
    if let Some((millis, id)) = &after {
        filter.push_str(" AND (created_at, id) > (?, ?)");
        args.push(millis);
        args.push(id);
    }
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
