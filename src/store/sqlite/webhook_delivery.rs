//! The deliverer's side of webhooks on SQLite: which endpoints have work, leases, the
//! cursor and retry state, one-offs, the log and lag. One server holds a SQLite file, so
//! leases only matter within it; they use this process's clock.

use super::webhook_endpoints::get;
use crate::domain::ids::{WebhookId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::WebhookEndpoint;
use crate::store::webhooks::rows::{ONE_OFF_COLUMNS, one_off_from_row};
use crate::store::webhooks::runs;
use crate::store::{DeliveryRecord, EndpointLag, Failure, OneOff, Progress, StoreError};
use rusqlite::{Connection, params};

pub fn due(conn: &Connection, now: Timestamp, limit: u32) -> Result<Vec<WebhookId>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT w.id FROM webhook_endpoints w WHERE w.enabled = 1 \
             AND (w.lease_owner IS NULL OR w.lease_until < ?1) \
             AND ((w.next_attempt_at <= ?1 AND EXISTS (SELECT 1 FROM contact_events e \
                   WHERE e.workspace_id = w.workspace_id AND e.seq > w.cursor)) \
               OR EXISTS (SELECT 1 FROM webhook_one_offs o WHERE o.endpoint_id = w.id)) \
             ORDER BY w.next_attempt_at LIMIT ?2",
        )?
        .query_map(params![now.millis(), limit], |r| {
            Ok(WebhookId::from_stored(r.get(0)?))
        })?
        .collect::<Result<_, _>>()?)
}

pub fn lease(
    conn: &Connection,
    id: &str,
    node: &str,
    lease_ms: i64,
) -> Result<Option<WebhookEndpoint>, StoreError> {
    let now = Timestamp::now().millis();
    let taken = conn
        .prepare_cached(
            "UPDATE webhook_endpoints SET lease_owner = ?2, lease_until = ?3 WHERE id = ?1 \
             AND enabled = 1 AND (lease_owner IS NULL OR lease_owner = ?2 OR lease_until < ?4)",
        )?
        .execute(params![id, node, now + lease_ms, now])?;
    if taken == 0 {
        return Ok(None);
    }
    get(conn, id)
}

pub fn release(conn: &Connection, id: &str, node: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = 0 \
         WHERE id = ?1 AND lease_owner = ?2",
    )?
    .execute(params![id, node])?;
    Ok(())
}

/// Logs a worker's attempts and moves its cursor and retry state, while the endpoint is
/// enabled, leased to `node` and at `progress.from` (`WebhookStore::record_progress`).
pub fn record_progress(
    conn: &Connection,
    id: &str,
    node: &str,
    p: &Progress,
) -> Result<bool, StoreError> {
    const HELD: &str = "id = ?1 AND lease_owner = ?2 AND cursor = ?3 AND enabled = 1";
    let (from, to) = (p.from, p.to);
    let changed = match p.failure {
        None => conn
            .prepare_cached(&format!(
                "UPDATE webhook_endpoints SET cursor = ?4, attempt = 0, next_attempt_at = 0, \
                 state = 'active' WHERE {HELD}"
            ))?
            .execute(params![id, node, from, to])?,
        Some(Failure::Retry { attempt, at }) => conn
            .prepare_cached(&format!(
                "UPDATE webhook_endpoints SET cursor = ?4, attempt = ?5, next_attempt_at = ?6, \
                 state = 'failing' WHERE {HELD}"
            ))?
            .execute(params![id, node, from, to, attempt, at.millis()])?,
        Some(Failure::Exhausted { attempt }) => conn
            .prepare_cached(&format!(
                "UPDATE webhook_endpoints SET cursor = ?4, attempt = ?5, enabled = 0, \
                 state = 'failing', lease_owner = NULL, lease_until = 0 WHERE {HELD}"
            ))?
            .execute(params![id, node, from, to, attempt])?,
    };
    log(conn, id, &p.deliveries)?;
    Ok(changed > 0)
}

/// Adds attempts (oldest first) to the log of an endpoint that still exists, packed into
/// runs (`store::webhooks::runs`): a row's id is the last of `span` new ones, taken after
/// the largest id the table ever gave (`sqlite_sequence`, which AUTOINCREMENT keeps), so
/// every attempt has an id of its own, in the order of the log.
pub fn log(conn: &Connection, id: &str, records: &[DeliveryRecord]) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(
        "INSERT INTO webhook_deliveries (id, endpoint_id, message_id, event_seq, event_type, \
         attempt, status_code, error, duration_ms, created_at, response, span, run) \
         SELECT (SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence \
                 WHERE name = 'webhook_deliveries') + ?11, \
                ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 \
         WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ?1)",
    )?;
    for row in runs::pack(records) {
        let d = row.first;
        insert.execute(params![
            id,
            d.message_id,
            d.event_seq,
            d.event_type,
            d.attempt,
            d.status_code,
            d.error,
            d.duration_ms,
            d.created_at.millis(),
            d.response,
            row.span as i64,
            row.run,
        ])?;
    }
    Ok(())
}

pub fn one_offs(conn: &Connection, id: &str, limit: u32) -> Result<Vec<OneOff>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ONE_OFF_COLUMNS} FROM webhook_one_offs WHERE endpoint_id = ?1 ORDER BY id LIMIT ?2"
        ))?
        .query_map(params![id, limit], |r| one_off_from_row(r))?
        .collect::<Result<_, _>>()?)
}

pub fn record_one_off(
    conn: &Connection,
    id: &str,
    node: &str,
    one_off: i64,
    d: &DeliveryRecord,
) -> Result<bool, StoreError> {
    let held: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = ?1 AND lease_owner = ?2)",
        )?
        .query_row(params![id, node], |r| r.get(0))?;
    if !held {
        return Ok(false);
    }
    conn.prepare_cached("DELETE FROM webhook_one_offs WHERE id = ?1 AND endpoint_id = ?2")?
        .execute(params![one_off, id])?;
    log(conn, id, std::slice::from_ref(d))?;
    Ok(true)
}

pub fn cursors(conn: &Connection) -> Result<Vec<(WorkspaceId, i64)>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT workspace_id, MIN(cursor) FROM webhook_endpoints GROUP BY workspace_id",
        )?
        .query_map([], |r| Ok((WorkspaceId::from_stored(r.get(0)?), r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

pub fn lag(conn: &Connection, cap: u32) -> Result<Vec<EndpointLag>, StoreError> {
    Ok(conn
        .prepare_cached(
            "SELECT w.id, w.state, w.enabled, \
             (SELECT COUNT(*) FROM (SELECT 1 FROM contact_events e WHERE e.workspace_id = w.workspace_id \
              AND e.seq > w.cursor LIMIT ?1)), \
             (SELECT e.created_at FROM contact_events e WHERE e.workspace_id = w.workspace_id \
              AND e.seq > w.cursor ORDER BY e.seq LIMIT 1) \
             FROM webhook_endpoints w ORDER BY w.id",
        )?
        .query_map([cap], |r| {
            Ok(EndpointLag {
                id: WebhookId::from_stored(r.get(0)?),
                state: r.get(1)?,
                enabled: r.get(2)?,
                pending: r.get::<_, i64>(3)? as u64,
                oldest: r.get::<_, Option<i64>>(4)?.map(Timestamp::from_millis),
            })
        })?
        .collect::<Result<_, _>>()?)
}
