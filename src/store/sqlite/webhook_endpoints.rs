//! The API's side of webhooks on SQLite: endpoints created, read, changed, deleted, their
//! secrets rotated, replays and one-offs queued, the deliveries log read. Writes run on the
//! writer thread, reads on the reader pool (`webhooks`).

use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::{WebhookEndpoint, WebhookPatch, WebhookSecret};
use crate::store::webhooks::rows::{
    DELIVERY_COLUMNS, ENDPOINT_COLUMNS, delivery_from_row, endpoint_from_row, types_json,
};
use crate::store::webhooks::runs;
use crate::store::{DeliveryRecord, OneOff, StoreError};
use rusqlite::{Connection, OptionalExtension, params};

pub(super) fn get(conn: &Connection, id: &str) -> Result<Option<WebhookEndpoint>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = ?1"
        ))?
        .query_row([id], |r| endpoint_from_row(r))
        .optional()?)
}

pub(super) fn create(
    conn: &Connection,
    e: &WebhookEndpoint,
) -> Result<WebhookEndpoint, StoreError> {
    conn.prepare_cached(
        "INSERT INTO webhook_endpoints (id, workspace_id, url, event_types, description, enabled, \
         state, secret, created_at, updated_at, cursor) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, \
         (SELECT COALESCE(MAX(seq), 0) FROM contact_events))",
    )?
    .execute(params![
        e.id.as_str(),
        e.workspace_id.as_str(),
        e.url,
        types_json(&e.event_types),
        e.description,
        e.enabled,
        e.state.as_str(),
        e.secret.expose(),
        e.created_at.millis(),
    ])?;
    get(conn, e.id.as_str())?.ok_or_else(|| StoreError::Internal("webhook vanished".into()))
}

pub(super) fn list(conn: &Connection, workspace: &str) -> Result<Vec<WebhookEndpoint>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = ?1 \
             ORDER BY created_at, id"
        ))?
        .query_map([workspace], |r| endpoint_from_row(r))?
        .collect::<Result<_, _>>()?)
}

pub(super) fn update(
    conn: &Connection,
    id: &str,
    patch: &WebhookPatch,
    now: Timestamp,
) -> Result<Option<WebhookEndpoint>, StoreError> {
    let Some(mut e) = get(conn, id)? else {
        return Ok(None);
    };
    let resume = e.apply(patch);
    conn.prepare_cached(
        "UPDATE webhook_endpoints SET url = ?2, event_types = ?3, description = ?4, enabled = ?5, \
         state = ?6, updated_at = ?7, attempt = CASE WHEN ?8 THEN 0 ELSE attempt END, \
         next_attempt_at = CASE WHEN ?8 THEN 0 ELSE next_attempt_at END WHERE id = ?1",
    )?
    .execute(params![
        id,
        e.url,
        types_json(&e.event_types),
        e.description,
        e.enabled,
        e.state.as_str(),
        now.millis(),
        resume,
    ])?;
    get(conn, id)
}

pub(super) fn delete(conn: &Connection, id: &str) -> Result<bool, StoreError> {
    conn.execute("DELETE FROM webhook_one_offs WHERE endpoint_id = ?1", [id])?;
    conn.execute(
        "DELETE FROM webhook_deliveries WHERE endpoint_id = ?1",
        [id],
    )?;
    Ok(conn.execute("DELETE FROM webhook_endpoints WHERE id = ?1", [id])? > 0)
}

pub(super) fn rotate(
    conn: &Connection,
    id: &str,
    secret: &WebhookSecret,
    previous_until: Timestamp,
    now: Timestamp,
) -> Result<Option<WebhookEndpoint>, StoreError> {
    conn.prepare_cached(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = ?3, \
         secret = ?2, updated_at = ?4 WHERE id = ?1",
    )?
    .execute(params![
        id,
        secret.expose(),
        previous_until.millis(),
        now.millis()
    ])?;
    get(conn, id)
}

/// One writer commits in seq order, so seq order is feed order: back means a lower seq.
pub(super) fn replay_after(conn: &Connection, id: &str, after: i64) -> Result<bool, StoreError> {
    Ok(conn
        .prepare_cached(
            "UPDATE webhook_endpoints SET cursor = MIN(cursor, ?2), attempt = 0, \
             next_attempt_at = 0 WHERE id = ?1",
        )?
        .execute(params![id, after])?
        > 0)
}

pub(super) fn queue_one_off(conn: &Connection, id: &str, m: &OneOff) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO webhook_one_offs (endpoint_id, event_seq, message_id, created_at) \
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        id,
        m.event_seq,
        m.message_id,
        m.created_at.millis()
    ])?;
    Ok(())
}

/// The log, newest first: `limit` attempts with ids below `before` (0: from the newest),
/// each row's run unpacked (`store::webhooks::runs`). A row holds its attempts' ids up to
/// its own, so the rows that can hold one below `before` start below it and end below
/// `before + MAX_SPAN` (the bound lets the index on `(endpoint_id, id)` find them).
pub(super) fn deliveries(
    conn: &Connection,
    id: &str,
    before: i64,
    limit: u32,
) -> Result<Vec<DeliveryRecord>, StoreError> {
    let mut select = conn.prepare_cached(&format!(
        "SELECT {DELIVERY_COLUMNS}, span, run FROM webhook_deliveries \
         WHERE endpoint_id = ?1 AND (?2 = 0 OR (id < ?2 + {} AND id - span + 1 < ?2)) \
         ORDER BY id DESC LIMIT ?3",
        runs::MAX_SPAN
    ))?;
    let mut rows = select.query(params![id, before, limit])?;
    let mut attempts = Vec::new();
    while let Some(r) = rows.next()? {
        let (span, run): (i64, Option<Vec<u8>>) = (r.get(10)?, r.get(11)?);
        let row = runs::unpack(delivery_from_row(r)?, span, run.as_deref())
            .map_err(|e| StoreError::Internal(format!("webhook_deliveries: {e}")))?;
        attempts.extend(row.into_iter().filter(|d| before == 0 || d.id < before));
        if attempts.len() >= limit as usize {
            break;
        }
    }
    attempts.truncate(limit as usize);
    Ok(attempts)
}

pub(super) fn prune_deliveries(conn: &Connection, before: Timestamp) -> Result<u64, StoreError> {
    Ok(conn.execute(
        "DELETE FROM webhook_deliveries WHERE created_at < ?1",
        [before.millis()],
    )? as u64)
}
