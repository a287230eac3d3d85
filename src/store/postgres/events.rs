//! The change feed on PostgreSQL. Identity values are handed out in call order, not
//! commit order, so a reader could see seq 11 committed before seq 10 and page past it.
//! Writers therefore take a per-workspace advisory lock (held to commit) right before
//! taking their seqs: the next writer of the workspace takes seqs only after this one
//! committed, so within a workspace seq order is commit order and a cursor never skips.

use super::rows::{CONTACT_COLUMNS, contact_from_row};
use crate::domain::contact::Contact;
use crate::domain::events::{Actor, ContactEvent, EventKind, StoredEvent, event_for};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::{EventQuery, StoreError};
use deadpool_postgres::{Client, GenericClient};
use tokio_postgres::Row;

/// The first half of the advisory lock key of the feed ("ev"); the second is the workspace's hash.
const FEED_LOCK_CLASS: i32 = 0x6576;

/// Records the events of (before, after) pairs, in order, skipping pairs that changed
/// nothing. Call it last in the transaction: it holds the workspace's feed lock to commit.
pub async fn record_changes(
    tx: &impl GenericClient,
    changes: &[(Option<&Contact>, Option<&Contact>)],
    actor: &Actor,
    now: Timestamp,
) -> Result<(), tokio_postgres::Error> {
    let events: Vec<ContactEvent> = changes
        .iter()
        .filter_map(|(before, after)| event_for(*before, *after))
        .collect();
    record(tx, &events, actor, now).await
}

async fn record(
    tx: &impl GenericClient,
    events: &[ContactEvent],
    actor: &Actor,
    now: Timestamp,
) -> Result<(), tokio_postgres::Error> {
    let mut workspaces: Vec<&str> = events.iter().map(|e| e.workspace_id.as_str()).collect();
    workspaces.sort_unstable();
    workspaces.dedup();
    let lock = tx
        .prepare_cached("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .await?;
    for workspace in &workspaces {
        tx.execute(&lock, &[&FEED_LOCK_CLASS, workspace]).await?;
    }
    if events.is_empty() {
        return Ok(());
    }
    let wks: Vec<&str> = events.iter().map(|e| e.workspace_id.as_str()).collect();
    let ids: Vec<&str> = events.iter().map(|e| e.contact_id.as_str()).collect();
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    let changes: Vec<String> = events
        .iter()
        .map(|e| serde_json::Value::Object(e.changes.clone()).to_string())
        .collect();
    let statement = tx
        .prepare_cached(
            "INSERT INTO contact_events (workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at) \
             SELECT w, c, k, ch, $5, $6, $7 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) \
             WITH ORDINALITY AS e(w, c, k, ch, n) ORDER BY n",
        )
        .await?;
    tx.execute(
        &statement,
        &[
            &wks,
            &ids,
            &kinds,
            &changes,
            &actor.kind(),
            &actor.key_id(),
            &now.millis(),
        ],
    )
    .await?;
    Ok(())
}

pub(super) fn event_from_row(row: &Row) -> Result<StoredEvent, StoreError> {
    let seq: i64 = row.try_get(0)?;
    let unreadable = |what: &str| StoreError::Internal(format!("event {seq}: unreadable {what}"));
    let changes: String = row.try_get(4)?;
    let changes = match serde_json::from_str(&changes) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => return Err(unreadable("changes")),
    };
    let kind: String = row.try_get(3)?;
    let actor_type: String = row.try_get(5)?;
    Ok(StoredEvent {
        seq,
        event: ContactEvent {
            kind: EventKind::parse(&kind).ok_or_else(|| unreadable("kind"))?,
            contact_id: ContactId::from_stored(row.try_get(2)?),
            workspace_id: WorkspaceId::from_stored(row.try_get(1)?),
            changes,
        },
        actor: Actor::from_stored(&actor_type, row.try_get(6)?)
            .ok_or_else(|| unreadable("actor"))?,
        created_at: Timestamp::from_millis(row.try_get(7)?),
    })
}

pub async fn list(client: &Client, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
    const COLUMNS: &str =
        "seq, workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at";
    let limit = i64::from(query.limit);
    let rows = match &query.contact {
        Some(contact) => {
            let statement = client
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM contact_events WHERE contact_id = $1 AND workspace_id = $2 \
                     AND seq > $3 ORDER BY seq LIMIT $4"
                ))
                .await?;
            client
                .query(
                    &statement,
                    &[
                        &contact.as_str(),
                        &query.workspace.as_str(),
                        &query.after,
                        &limit,
                    ],
                )
                .await?
        }
        None => {
            let statement = client
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM contact_events WHERE workspace_id = $1 AND seq > $2 \
                     ORDER BY seq LIMIT $3"
                ))
                .await?;
            client
                .query(
                    &statement,
                    &[&query.workspace.as_str(), &query.after, &limit],
                )
                .await?
        }
    };
    rows.iter().map(event_from_row).collect()
}

pub async fn prune(client: &Client, before: Timestamp) -> Result<u64, StoreError> {
    let statement = client
        .prepare_cached(
            "DELETE FROM contact_events WHERE seq < COALESCE(\
             (SELECT seq FROM contact_events WHERE created_at >= $1 ORDER BY seq LIMIT 1), \
             (SELECT MAX(seq) + 1 FROM contact_events))",
        )
        .await?;
    Ok(client.execute(&statement, &[&before.millis()]).await?)
}

/// Contacts from `DELETE … RETURNING` rows, in list order (createdAt, id).
pub fn deleted_in_list_order(rows: &[Row]) -> Result<Vec<Contact>, StoreError> {
    let mut removed: Vec<Contact> = rows
        .iter()
        .map(contact_from_row)
        .collect::<Result<_, _>>()?;
    removed.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(removed)
}

/// `RETURNING` clause for deletes whose rows become events.
pub fn returning_contact() -> String {
    format!("RETURNING {CONTACT_COLUMNS}")
}
