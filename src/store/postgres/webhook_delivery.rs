//! The deliverer's side of webhooks on PostgreSQL: which endpoints have work, leases, the
//! cursor and retry state, one-offs, the log and lag. Several nodes share the database:
//! an endpoint is leased to one node at a time, leases are timed by the database's clock
//! (the same for every node), and a node that dies stops renewing, so another takes the
//! endpoint once the lease has run out (docs/webhooks.md, "Several nodes").

use super::statements::Sql;
use super::webhook_endpoints::get;
use crate::domain::ids::{WebhookId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::WebhookEndpoint;
use crate::store::webhooks::rows::{ONE_OFF_COLUMNS, one_off_from_row};
use crate::store::{DeliveryRecord, EndpointLag, Failure, OneOff, Progress, StoreError};
use deadpool_postgres::Client;

/// The database's clock in Unix milliseconds.
const DB_NOW: &str = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/// An event `e` comes after the endpoint `w`'s cursor in feed order, `(feed_xid, seq)`
/// (`events.rs`: seq order is not commit order on PostgreSQL, so `e.seq > w.cursor` could
/// miss an event that committed after the cursor's with a lower seq).
const AFTER_CURSOR: &str = "(e.feed_xid, e.seq) > (COALESCE((SELECT a.feed_xid FROM contact_events a \
     WHERE a.seq = w.cursor), 0), w.cursor)";

pub async fn due(client: &Client, limit: u32) -> Result<Vec<WebhookId>, StoreError> {
    let sql = format!(
        "SELECT w.id FROM webhook_endpoints w WHERE w.enabled \
         AND (w.lease_owner IS NULL OR w.lease_until < {DB_NOW}) \
         AND ((w.next_attempt_at <= {DB_NOW} AND EXISTS (SELECT 1 FROM contact_events e \
               WHERE e.workspace_id = w.workspace_id AND {AFTER_CURSOR})) \
           OR EXISTS (SELECT 1 FROM webhook_one_offs o WHERE o.endpoint_id = w.id)) \
         ORDER BY w.next_attempt_at LIMIT $1"
    );
    let rows = client.rows(&sql, &[&i64::from(limit)]).await?;
    rows.iter()
        .map(|r| Ok(WebhookId::from_stored(r.try_get(0)?)))
        .collect()
}

pub async fn lease(
    client: &Client,
    id: &str,
    node: &str,
    lease_ms: i64,
) -> Result<Option<WebhookEndpoint>, StoreError> {
    let sql = format!(
        "UPDATE webhook_endpoints SET lease_owner = $2, lease_until = {DB_NOW} + $3 \
         WHERE id = $1 AND enabled \
         AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < {DB_NOW})"
    );
    if client.run(&sql, &[&id, &node, &lease_ms]).await? == 0 {
        return Ok(None);
    }
    get(client, id).await
}

pub async fn release(client: &Client, id: &str, node: &str) -> Result<(), StoreError> {
    client
        .run(
            "UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = 0 \
             WHERE id = $1 AND lease_owner = $2",
            &[&id, &node],
        )
        .await?;
    Ok(())
}

/// Moves the cursor and retry state of a worker's progress, while the endpoint is enabled,
/// leased to `node` and at `p.from`.
async fn move_cursor(
    client: &impl Sql,
    id: &str,
    node: &str,
    p: &Progress,
) -> Result<bool, StoreError> {
    const HELD: &str = "id = $1 AND lease_owner = $2 AND cursor = $3 AND enabled";
    let (from, to) = (&p.from, &p.to);
    let changed = match p.failure {
        None => {
            let sql = format!(
                "UPDATE webhook_endpoints SET cursor = $4, attempt = 0, next_attempt_at = 0, \
                 state = 'active' WHERE {HELD}"
            );
            client.run(&sql, &[&id, &node, from, to]).await?
        }
        Some(Failure::Retry { attempt, at }) => {
            let sql = format!(
                "UPDATE webhook_endpoints SET cursor = $4, attempt = $5, next_attempt_at = $6, \
                 state = 'failing' WHERE {HELD}"
            );
            let attempt = i32::try_from(attempt).unwrap_or(i32::MAX);
            client
                .run(&sql, &[&id, &node, from, to, &attempt, &at.millis()])
                .await?
        }
        Some(Failure::Exhausted { attempt }) => {
            let sql = format!(
                "UPDATE webhook_endpoints SET cursor = $4, attempt = $5, enabled = false, \
                 state = 'failing', lease_owner = NULL, lease_until = 0 WHERE {HELD}"
            );
            let attempt = i32::try_from(attempt).unwrap_or(i32::MAX);
            client.run(&sql, &[&id, &node, from, to, &attempt]).await?
        }
    };
    Ok(changed > 0)
}

/// Logs many attempts with one statement (arrays through `unnest`).
async fn log_all(client: &impl Sql, id: &str, all: &[DeliveryRecord]) -> Result<(), StoreError> {
    if all.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&DeliveryRecord) -> i64| all.iter().map(f).collect::<Vec<i64>>();
    let message: Vec<&str> = all.iter().map(|d| d.message_id.as_str()).collect();
    let seq: Vec<Option<i64>> = all.iter().map(|d| d.event_seq).collect();
    let kind: Vec<&str> = all.iter().map(|d| d.event_type.as_str()).collect();
    let attempt: Vec<i32> = all
        .iter()
        .map(|d| i32::try_from(d.attempt).unwrap_or(i32::MAX))
        .collect();
    let status: Vec<Option<i32>> = all.iter().map(|d| d.status_code.map(i32::from)).collect();
    let error: Vec<Option<&str>> = all.iter().map(|d| d.error.as_deref()).collect();
    let duration = column(|d| d.duration_ms);
    let created = column(|d| d.created_at.millis());
    let response: Vec<&str> = all.iter().map(|d| d.response.as_str()).collect();
    client
        .run(
            "INSERT INTO webhook_deliveries (endpoint_id, message_id, event_seq, event_type, attempt, \
             status_code, error, duration_ms, created_at, response) \
             SELECT $1, u.m, u.s, u.t, u.a, u.c, u.e, u.d, u.at, u.r \
             FROM unnest($2::text[], $3::int8[], $4::text[], $5::int4[], $6::int4[], $7::text[], \
                         $8::int8[], $9::int8[], $10::text[]) WITH ORDINALITY \
                  AS u(m, s, t, a, c, e, d, at, r, n) \
             WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = $1) ORDER BY u.n",
            &[
                &id, &message, &seq, &kind, &attempt, &status, &error, &duration, &created,
                &response,
            ],
        )
        .await?;
    Ok(())
}

/// Adds an attempt to the log of an endpoint that still exists.
pub async fn log(client: &impl Sql, id: &str, d: &DeliveryRecord) -> Result<(), StoreError> {
    client
        .run(
            "INSERT INTO webhook_deliveries (endpoint_id, message_id, event_seq, event_type, attempt, \
             status_code, error, duration_ms, created_at, response) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
             WHERE EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = $1)",
            &[
                &id,
                &d.message_id,
                &d.event_seq,
                &d.event_type,
                &i32::try_from(d.attempt).unwrap_or(i32::MAX),
                &d.status_code.map(i32::from),
                &d.error,
                &d.duration_ms,
                &d.created_at.millis(),
                &d.response,
            ],
        )
        .await?;
    Ok(())
}

/// Logs a worker's attempts and applies its progress in one transaction
/// (`WebhookStore::record_progress`).
pub async fn record_progress(
    client: &mut Client,
    id: &str,
    node: &str,
    p: &Progress,
) -> Result<bool, StoreError> {
    let tx = client.transaction().await?;
    let applied = move_cursor(&tx, id, node, p).await?;
    log_all(&tx, id, &p.deliveries).await?;
    tx.commit().await?;
    Ok(applied)
}

pub async fn one_offs(client: &Client, id: &str, limit: u32) -> Result<Vec<OneOff>, StoreError> {
    let sql = format!(
        "SELECT {ONE_OFF_COLUMNS} FROM webhook_one_offs WHERE endpoint_id = $1 ORDER BY id LIMIT $2"
    );
    let rows = client.rows(&sql, &[&id, &i64::from(limit)]).await?;
    Ok(rows
        .iter()
        .map(one_off_from_row)
        .collect::<Result<_, _>>()?)
}

/// Logs the attempt at a one-off and takes it off the queue, in one transaction, while
/// `node` holds the endpoint.
pub async fn record_one_off(
    client: &mut Client,
    id: &str,
    node: &str,
    one_off: i64,
    d: &DeliveryRecord,
) -> Result<bool, StoreError> {
    let tx = client.transaction().await?;
    let held = tx
        .row_opt(
            "SELECT 1 FROM webhook_endpoints WHERE id = $1 AND lease_owner = $2",
            &[&id, &node],
        )
        .await?
        .is_some();
    if !held {
        return Ok(false);
    }
    tx.run(
        "DELETE FROM webhook_one_offs WHERE id = $1 AND endpoint_id = $2",
        &[&one_off, &id],
    )
    .await?;
    log(&tx, id, d).await?;
    tx.commit().await?;
    Ok(true)
}

pub async fn cursors(client: &Client) -> Result<Vec<(WorkspaceId, i64)>, StoreError> {
    let rows = client
        .rows(
            "SELECT DISTINCT workspace_id, cursor FROM webhook_endpoints",
            &[],
        )
        .await?;
    rows.iter()
        .map(|r| Ok((WorkspaceId::from_stored(r.try_get(0)?), r.try_get(1)?)))
        .collect()
}

pub async fn lag(client: &Client, cap: u32) -> Result<Vec<EndpointLag>, StoreError> {
    let sql = format!(
        "SELECT w.id, w.state, w.enabled, \
         (SELECT COUNT(*) FROM (SELECT 1 FROM contact_events e WHERE e.workspace_id = w.workspace_id \
          AND {AFTER_CURSOR} LIMIT $1) AS p), \
         (SELECT e.created_at FROM contact_events e WHERE e.workspace_id = w.workspace_id \
          AND {AFTER_CURSOR} ORDER BY e.feed_xid, e.seq LIMIT 1) \
         FROM webhook_endpoints w ORDER BY w.id"
    );
    let rows = client.rows(&sql, &[&i64::from(cap)]).await?;
    rows.iter()
        .map(|r| {
            let pending: i64 = r.try_get(3)?;
            let oldest: Option<i64> = r.try_get(4)?;
            Ok(EndpointLag {
                id: WebhookId::from_stored(r.try_get(0)?),
                state: r.try_get(1)?,
                enabled: r.try_get(2)?,
                pending: pending.max(0) as u64,
                oldest: oldest.map(Timestamp::from_millis),
            })
        })
        .collect()
}
