//! What a deletion keeps of a contact for later webhook messages (SQLite side): its
//! unsubscribe token and times, written by `events::record_change` in the deletion's
//! transaction (`crate::domain::webhook_payload::DeletedContact`); one feed event by its
//! id, for a replay of that event; and what a page of messages is rebuilt from, in one read.

use super::events::{EVENT_COLUMNS, EVENTS_WITH_EVIDENCE, event_from_row};
use crate::domain::contact::Contact;
use crate::domain::events::StoredEvent;
use crate::domain::ids::ContactId;
use crate::domain::timestamp::Timestamp;
use crate::domain::webhook_payload::DeletedContact;
use crate::store::{EventQuery, MessageSource, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

/// Keeps what later messages need of a contact being deleted, in the writer's transaction.
pub fn keep(conn: &Connection, contact: &Contact, now: Timestamp) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO deleted_contacts \
         (contact_id, workspace_id, unsub_token, created_at, updated_at, deleted_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        contact.id.as_str(),
        contact.workspace_id.as_str(),
        contact.unsub_token.as_str(),
        contact.created_at.millis(),
        contact.updated_at.millis(),
        now.millis(),
    ])?;
    Ok(())
}

pub fn get(conn: &Connection, id: &str) -> Result<Option<DeletedContact>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT unsub_token, created_at, updated_at FROM deleted_contacts WHERE contact_id = ?1",
        )?
        .query_row([id], |r| {
            Ok(DeletedContact {
                unsub_token: r.get(0)?,
                created_at: Timestamp::from_millis(r.get(1)?),
                updated_at: Timestamp::from_millis(r.get(2)?),
            })
        })
        .optional()?)
}

pub fn forget(conn: &Connection) -> Result<u64, StoreError> {
    Ok(conn.execute(
        "DELETE FROM deleted_contacts WHERE NOT EXISTS \
         (SELECT 1 FROM contact_events e WHERE e.contact_id = deleted_contacts.contact_id)",
        [],
    )? as u64)
}

pub fn event(
    conn: &Connection,
    workspace: &str,
    seq: i64,
) -> Result<Option<StoredEvent>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM {EVENTS_WITH_EVIDENCE} WHERE e.seq = ?1 AND e.workspace_id = ?2"
    ))?
    .query_row(params![seq, workspace], event_from_row)
    .optional()?
    .transpose()
}

/// For each event, its contact now (in the event's workspace) or what its deletion kept,
/// and its next `history` events: one read for a page of messages.
pub fn message_sources(
    conn: &Connection,
    events: &[StoredEvent],
    history: u32,
) -> Result<Vec<MessageSource>, StoreError> {
    events
        .iter()
        .map(|e| {
            let id: &ContactId = &e.event.contact_id;
            let contact =
                super::contacts::get(conn, id)?.filter(|c| c.workspace_id == e.event.workspace_id);
            let deleted = match contact {
                Some(_) => None,
                None => get(conn, id.as_str())?,
            };
            let later = super::events::list(
                conn,
                &EventQuery {
                    workspace: e.event.workspace_id.clone(),
                    after: e.seq,
                    limit: history,
                    contact: Some(id.clone()),
                },
            )?;
            Ok(MessageSource {
                contact,
                deleted,
                later,
            })
        })
        .collect()
}
