//! The dashboard's contact search: [`ContactSearchStore`] on PostgreSQL. Newest first along
//! the list indexes; a text search, or the suppression filter (one probe of
//! `suppressions_address` per row), reads rows in that order until the page is full.

use super::PostgresStore;
use super::rows::{CONTACT_COLUMNS, contacts_from_rows};
use super::statements::Sql;
use crate::domain::contact::Contact;
use crate::store::{ContactSearch, ContactSearchStore, StoreError};
use async_trait::async_trait;
use deadpool_postgres::Client;
use tokio_postgres::types::ToSql;

/// Whether the row's address is suppressed (the `suppressions_address` index).
const SUPPRESSED: &str = "EXISTS (SELECT 1 FROM suppressions s \
     WHERE s.workspace_id = contacts.workspace_id AND s.email = contacts.email_norm)";

async fn search(client: &Client, search: &ContactSearch) -> Result<Vec<Contact>, StoreError> {
    let workspace = search.workspace.as_str();
    let mut filter = String::from("workspace_id = $1");
    let mut args: Vec<&(dyn ToSql + Sync)> = vec![&workspace];
    if let Some(subscribed) = &search.subscribed {
        args.push(subscribed);
        filter.push_str(&format!(" AND subscribed = ${}", args.len()));
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
        args.push(millis);
        args.push(id);
        filter.push_str(&format!(
            " AND (created_at, id) < (${}, ${})",
            args.len() - 1,
            args.len()
        ));
    }
    if let Some(text) = &search.text {
        args.push(text);
        let n = args.len();
        filter.push_str(&format!(
            " AND (strpos(email_norm, ${n}) > 0 OR strpos(lower(name), ${n}) > 0 \
             OR strpos(lower(first_name), ${n}) > 0 OR strpos(lower(last_name), ${n}) > 0)"
        ));
    }
    let limit = i64::from(search.limit);
    args.push(&limit);
    let rows = client
        .rows(
            &format!(
                "SELECT {CONTACT_COLUMNS} FROM contacts WHERE {filter} \
                 ORDER BY created_at DESC, id DESC LIMIT ${}",
                args.len()
            ),
            &args,
        )
        .await?;
    contacts_from_rows(&rows)
}

#[async_trait]
impl ContactSearchStore for PostgresStore {
    async fn search_contacts(&self, query: ContactSearch) -> Result<Vec<Contact>, StoreError> {
        self.timed(async { read_on_replica_or_primary!(self, |client| search(client, &query)) })
            .await
    }
}
