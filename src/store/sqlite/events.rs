//! The change feed on SQLite ([`EventStore`]): events written in the writer's
//! transaction, read in seq order.
//! The single writer commits in order, so seq order is commit order.
//! Each event's evidence (`domain::evidence`) is a JSON row of `contact_event_evidence`
//! under the event's seq (a table of its own, so its migration can run again); an event
//! without one was stored before evidence was kept, or had evidence that said no more than
//! its actor implies (`Evidence::stored_form`), and shows the source its actor implies.

use super::SqliteStore;
use crate::domain::contact::Contact;
use crate::domain::events::{Actor, ContactEvent, EventKind, StoredEvent, event_for};
use crate::domain::evidence::Evidence;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::{EventQuery, EventStore, StoreError};
use async_trait::async_trait;
use rusqlite::{Connection, Row, params};

/// Records the event of a write from `before` to `after`, if it changed anything.
pub fn record_change(
    conn: &Connection,
    before: Option<&Contact>,
    after: Option<&Contact>,
    actor: &Actor,
    evidence: &Evidence,
    now: Timestamp,
) -> Result<(), StoreError> {
    if let Some(event) = event_for(before, after) {
        record(conn, &event, actor, evidence, now)?;
    }
    // What webhook messages about a deleted contact need beyond its `deleted` event.
    if let (Some(deleted), None) = (before, after) {
        super::webhook_deleted::keep(conn, deleted, now)?;
    }
    Ok(())
}

/// Records one event.
pub fn record(
    conn: &Connection,
    event: &ContactEvent,
    actor: &Actor,
    evidence: &Evidence,
    now: Timestamp,
) -> Result<(), StoreError> {
    let changes = event.changes_json();
    conn.prepare_cached(
        "INSERT INTO contact_events (workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        event.workspace_id.as_str(),
        event.contact_id.as_str(),
        event.kind.as_str(),
        changes,
        actor.stored_kind(),
        actor.key_id(),
        now.millis(),
    ])?;
    if let Some(stored) = evidence.stored_form(actor) {
        conn.prepare_cached(
            "INSERT INTO contact_event_evidence (seq, evidence) VALUES (last_insert_rowid(), ?1)",
        )?
        .execute([stored])?;
    }
    Ok(())
}

/// A stored event's evidence: its JSON, or for an event from before evidence was kept,
/// what its actor implies; `None` when the JSON cannot be read.
pub(super) fn evidence_from_stored(stored: Option<String>, actor: &Actor) -> Option<Evidence> {
    match stored {
        None => Some(Evidence::implied_by(actor)),
        Some(text) => Evidence::from_json(&serde_json::from_str(&text).ok()?),
    }
}

/// The columns [`event_from_row`] reads, of `contact_events e` joined with its evidence `v`.
pub(super) const EVENT_COLUMNS: &str = "e.seq, e.workspace_id, e.contact_id, e.kind, e.changes, \
     e.actor_type, e.actor_key_id, e.created_at, v.evidence";

/// The events table with each event's evidence, as [`EVENT_COLUMNS`] names them.
pub(super) const EVENTS_WITH_EVIDENCE: &str =
    "contact_events e LEFT JOIN contact_event_evidence v ON v.seq = e.seq";

pub(super) fn event_from_row(row: &Row<'_>) -> rusqlite::Result<Result<StoredEvent, StoreError>> {
    let kind: String = row.get(3)?;
    let changes: String = row.get(4)?;
    let actor_type: String = row.get(5)?;
    let key_id: Option<String> = row.get(6)?;
    let seq: i64 = row.get(0)?;
    let workspace_id: String = row.get(1)?;
    let contact_id: String = row.get(2)?;
    let created_at: i64 = row.get(7)?;
    let evidence: Option<String> = row.get(8)?;
    let unreadable = |what: &str| StoreError::Internal(format!("event {seq}: unreadable {what}"));
    Ok((|| {
        let changes = match serde_json::from_str(&changes) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return Err(unreadable("changes")),
        };
        let actor = Actor::from_stored(&actor_type, key_id).ok_or_else(|| unreadable("actor"))?;
        Ok(StoredEvent {
            seq,
            event: ContactEvent {
                kind: EventKind::parse(&kind).ok_or_else(|| unreadable("kind"))?,
                contact_id: ContactId::from_stored(contact_id),
                workspace_id: WorkspaceId::from_stored(workspace_id),
                changes,
            },
            evidence: evidence_from_stored(evidence, &actor)
                .ok_or_else(|| unreadable("evidence"))?,
            actor,
            created_at: Timestamp::from_millis(created_at),
        })
    })())
}

pub(super) fn list(conn: &Connection, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
    const COLUMNS: &str = EVENT_COLUMNS;
    const FROM: &str = EVENTS_WITH_EVIDENCE;
    let limit = i64::from(query.limit);
    let rows: Vec<Result<StoredEvent, StoreError>> = match &query.contact {
        Some(contact) => conn
            .prepare_cached(&format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE e.contact_id = ?1 AND e.workspace_id = ?2 \
                 AND e.seq > ?3 ORDER BY e.seq LIMIT ?4"
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
                "SELECT {COLUMNS} FROM {FROM} WHERE e.workspace_id = ?1 AND e.seq > ?2 \
                 ORDER BY e.seq LIMIT ?3"
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
/// Their evidence goes with them.
fn prune(conn: &Connection, before: Timestamp) -> Result<u64, StoreError> {
    let first_kept: Option<i64> = conn
        .prepare_cached(
            "SELECT COALESCE(\
             (SELECT seq FROM contact_events WHERE created_at >= ?1 ORDER BY seq LIMIT 1), \
             (SELECT MAX(seq) + 1 FROM contact_events))",
        )?
        .query_row([before.millis()], |r| r.get(0))?;
    let Some(first_kept) = first_kept else {
        return Ok(0);
    };
    let removed = conn
        .prepare_cached("DELETE FROM contact_events WHERE seq < ?1")?
        .execute([first_kept])?;
    conn.prepare_cached("DELETE FROM contact_event_evidence WHERE seq < ?1")?
        .execute([first_kept])?;
    Ok(removed as u64)
}

#[async_trait]
impl EventStore for SqliteStore {
    async fn list_events(&self, query: EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
        self.readers.read(move |conn| list(conn, &query)).await
    }

    async fn prune_events(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.writer.write(move |conn| prune(conn, before)).await
    }
}
