//! The change feed: events written in the writer's transaction, read in seq order.
//! The single writer commits in order, so seq order is commit order.

use crate::domain::contact::Contact;
use crate::domain::events::{Actor, ContactEvent, EventKind, StoredEvent, event_for};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::{EventQuery, StoreError};
use rusqlite::{Connection, Row, params};

/// Records the event of a write from `before` to `after`, if it changed anything.
pub fn record_change(
    conn: &Connection,
    before: Option<&Contact>,
    after: Option<&Contact>,
    actor: &Actor,
    now: Timestamp,
) -> Result<(), StoreError> {
    if let Some(event) = event_for(before, after) {
        record(conn, &event, actor, now)?;
    }
    Ok(())
}

/// Records one event.
pub fn record(
    conn: &Connection,
    event: &ContactEvent,
    actor: &Actor,
    now: Timestamp,
) -> Result<(), StoreError> {
    let changes = serde_json::Value::Object(event.changes.clone()).to_string();
    conn.prepare_cached(
        "INSERT INTO contact_events (workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        event.workspace_id.as_str(),
        event.contact_id.as_str(),
        event.kind.as_str(),
        changes,
        actor.kind(),
        actor.key_id(),
        now.millis(),
    ])?;
    Ok(())
}

pub(super) fn event_from_row(row: &Row<'_>) -> rusqlite::Result<Result<StoredEvent, StoreError>> {
    let kind: String = row.get(3)?;
    let changes: String = row.get(4)?;
    let actor_type: String = row.get(5)?;
    let key_id: Option<String> = row.get(6)?;
    let seq: i64 = row.get(0)?;
    let workspace_id: String = row.get(1)?;
    let contact_id: String = row.get(2)?;
    let created_at: i64 = row.get(7)?;
    let unreadable = |what: &str| StoreError::Internal(format!("event {seq}: unreadable {what}"));
    Ok((|| {
        let changes = match serde_json::from_str(&changes) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return Err(unreadable("changes")),
        };
        Ok(StoredEvent {
            seq,
            event: ContactEvent {
                kind: EventKind::parse(&kind).ok_or_else(|| unreadable("kind"))?,
                contact_id: ContactId::from_stored(contact_id),
                workspace_id: WorkspaceId::from_stored(workspace_id),
                changes,
            },
            actor: Actor::from_stored(&actor_type, key_id).ok_or_else(|| unreadable("actor"))?,
            created_at: Timestamp::from_millis(created_at),
        })
    })())
}

pub fn list(conn: &Connection, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
    const COLUMNS: &str =
        "seq, workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at";
    let limit = i64::from(query.limit);
    let rows: Vec<Result<StoredEvent, StoreError>> = match &query.contact {
        Some(contact) => conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM contact_events WHERE contact_id = ?1 AND workspace_id = ?2 \
                 AND seq > ?3 ORDER BY seq LIMIT ?4"
            ))?
            .query_map(
                params![
                    contact.as_str(),
                    query.workspace.as_str(),
                    query.after,
                    limit
                ],
                event_from_row,
            )?
            .collect::<Result<_, _>>()?,
        None => conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM contact_events WHERE workspace_id = ?1 AND seq > ?2 \
                 ORDER BY seq LIMIT ?3"
            ))?
            .query_map(
                params![query.workspace.as_str(), query.after, limit],
                event_from_row,
            )?
            .collect::<Result<_, _>>()?,
    };
    rows.into_iter().collect()
}

/// Deletes events older than `before`, walking from the oldest seq so no index on time is needed.
pub fn prune(conn: &Connection, before: Timestamp) -> Result<u64, StoreError> {
    let removed = conn
        .prepare_cached(
            "DELETE FROM contact_events WHERE seq < COALESCE(\
             (SELECT seq FROM contact_events WHERE created_at >= ?1 ORDER BY seq LIMIT 1), \
             (SELECT MAX(seq) + 1 FROM contact_events))",
        )?
        .execute([before.millis()])?;
    Ok(removed as u64)
}
