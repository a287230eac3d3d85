//! The dashboard's contact search: [`ContactSearchStore`] on SQLite. Newest first along the
//! list indexes (`contacts_workspace_order`, and `…_subscribed_order` when filtered); a
//! text search, or the suppression filter (one probe of `suppressions_address` per row),
//! reads rows in that order until the page is full.

use super::SqliteStore;
use super::rows::{CONTACT_COLUMNS, contact_from_row};
use crate::domain::contact::Contact;
use crate::store::{ContactSearch, ContactSearchStore, StoreError};
use async_trait::async_trait;
use rusqlite::{Connection, ToSql, params_from_iter};

/// Whether the row's address is suppressed (the `suppressions_address` index).
const SUPPRESSED: &str = "EXISTS (SELECT 1 FROM suppressions s \
     WHERE s.workspace_id = contacts.workspace_id AND s.email = contacts.email_norm)";

fn search(conn: &Connection, search: &ContactSearch) -> Result<Vec<Contact>, StoreError> {
    let workspace = search.workspace.as_str();
    let mut filter = String::from("workspace_id = ?");
    let mut args: Vec<&dyn ToSql> = vec![&workspace];
    if let Some(subscribed) = &search.subscribed {
        filter.push_str(" AND subscribed = ?");
        args.push(subscribed);
    }
    if let Some(suppressed) = search.suppressed {
        filter.push_str(if suppressed { " AND " } else { " AND NOT " });
        filter.push_str(SUPPRESSED);
    }
    let cursor = search
        .before
        .as_ref()
        .map(|c| (c.created_at.millis(), c.id.as_str()));
    if let Some((millis, id)) = &cursor {
        filter.push_str(" AND (created_at, id) < (?, ?)");
        args.push(millis);
        args.push(id);
    }
    if let Some(text) = &search.text {
        filter.push_str(
            " AND (instr(email_norm, ?1x) > 0 OR instr(lower(name), ?1x) > 0 \
             OR instr(lower(first_name), ?1x) > 0 OR instr(lower(last_name), ?1x) > 0)",
        );
        for _ in 0..4 {
            args.push(text);
        }
    }
    let filter = filter.replace("?1x", "?");
    let limit = i64::from(search.limit);
    args.push(&limit);
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE {filter} \
         ORDER BY created_at DESC, id DESC LIMIT ?"
    ))?;
    let rows = stmt.query_map(params_from_iter(args.iter()), contact_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[async_trait]
impl ContactSearchStore for SqliteStore {
    async fn search_contacts(&self, query: ContactSearch) -> Result<Vec<Contact>, StoreError> {
        self.readers.read(move |conn| search(conn, &query)).await
    }
}
