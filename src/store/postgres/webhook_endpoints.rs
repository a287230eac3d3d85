//! The API's side of webhooks on PostgreSQL: endpoints created, read, changed, deleted,
//! their secrets rotated, replays and one-offs queued, the deliveries log read.

use super::statements::Sql;
use crate::domain::timestamp::Timestamp;
use crate::domain::webhooks::{WebhookEndpoint, WebhookPatch, WebhookSecret};
use crate::store::webhooks::rows::{
    DELIVERY_COLUMNS, ENDPOINT_COLUMNS, delivery_from_row, endpoint_from_row, types_json,
};
use crate::store::{DeliveryRecord, OneOff, StoreError};
use deadpool_postgres::Client;

/// The feed position `(feed_xid, seq)` of the event with seq `$n`; a seq that is not
/// stored (0, a pruned event's) is `(0, seq)`, as `events.rs` reads a cursor.
pub(super) fn position_of(seq: &str) -> String {
    format!("(COALESCE((SELECT a.feed_xid FROM contact_events a WHERE a.seq = {seq}), 0), {seq})")
}

pub(super) async fn get(
    client: &impl Sql,
    id: &str,
) -> Result<Option<WebhookEndpoint>, StoreError> {
    let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1");
    Ok(client
        .row_opt(&sql, &[&id])
        .await?
        .as_ref()
        .map(endpoint_from_row)
        .transpose()?)
}

pub(super) async fn create(
    client: &Client,
    e: &WebhookEndpoint,
) -> Result<WebhookEndpoint, StoreError> {
    client
        .run(
            "INSERT INTO webhook_endpoints (id, workspace_id, url, event_types, description, \
             enabled, state, secret, created_at, updated_at, cursor) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, \
             (SELECT COALESCE(MAX(seq), 0) FROM contact_events))",
            &[
                &e.id.as_str(),
                &e.workspace_id.as_str(),
                &e.url,
                &types_json(&e.event_types),
                &e.description,
                &e.enabled,
                &e.state.as_str(),
                &e.secret.expose(),
                &e.created_at.millis(),
            ],
        )
        .await?;
    get(client, e.id.as_str())
        .await?
        .ok_or_else(|| StoreError::Internal("webhook vanished".into()))
}

pub(super) async fn list(
    client: &Client,
    workspace: &str,
) -> Result<Vec<WebhookEndpoint>, StoreError> {
    let sql = format!(
        "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE workspace_id = $1 \
         ORDER BY created_at, id"
    );
    let rows = client.rows(&sql, &[&workspace]).await?;
    Ok(rows
        .iter()
        .map(endpoint_from_row)
        .collect::<Result<_, _>>()?)
}

pub(super) async fn update(
    client: &mut Client,
    id: &str,
    patch: &WebhookPatch,
    now: Timestamp,
) -> Result<Option<WebhookEndpoint>, StoreError> {
    let tx = client.transaction().await?;
    let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 FOR UPDATE");
    let row = tx.row_opt(&sql, &[&id]).await?;
    let Some(mut e) = row.as_ref().map(endpoint_from_row).transpose()? else {
        return Ok(None);
    };
    let resume = e.apply(patch);
    tx.run(
        "UPDATE webhook_endpoints SET url = $2, event_types = $3, description = $4, enabled = $5, \
         state = $6, updated_at = $7, attempt = CASE WHEN $8 THEN 0 ELSE attempt END, \
         next_attempt_at = CASE WHEN $8 THEN 0 ELSE next_attempt_at END WHERE id = $1",
        &[
            &id,
            &e.url,
            &types_json(&e.event_types),
            &e.description,
            &e.enabled,
            &e.state.as_str(),
            &now.millis(),
            &resume,
        ],
    )
    .await?;
    let updated = get(&tx, id).await?;
    tx.commit().await?;
    Ok(updated)
}

pub(super) async fn delete(client: &mut Client, id: &str) -> Result<bool, StoreError> {
    let tx = client.transaction().await?;
    tx.run(
        "DELETE FROM webhook_one_offs WHERE endpoint_id = $1",
        &[&id],
    )
    .await?;
    tx.run(
        "DELETE FROM webhook_deliveries WHERE endpoint_id = $1",
        &[&id],
    )
    .await?;
    let gone = tx
        .run("DELETE FROM webhook_endpoints WHERE id = $1", &[&id])
        .await?;
    tx.commit().await?;
    Ok(gone > 0)
}

pub(super) async fn rotate(
    client: &Client,
    id: &str,
    secret: &WebhookSecret,
    previous_until: Timestamp,
    now: Timestamp,
) -> Result<Option<WebhookEndpoint>, StoreError> {
    client
        .run(
            "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = $3, \
             secret = $2, updated_at = $4 WHERE id = $1",
            &[
                &id,
                &secret.expose(),
                &previous_until.millis(),
                &now.millis(),
            ],
        )
        .await?;
    get(client, id).await
}

/// The cursor goes back to `after` when `after` comes before it in feed order, by
/// position (`(feed_xid, seq)`), not by seq: seq order is not feed order here.
pub(super) async fn replay_after(
    client: &Client,
    id: &str,
    after: i64,
) -> Result<bool, StoreError> {
    let sql = format!(
        "UPDATE webhook_endpoints SET cursor = CASE WHEN {} < {} THEN $2 ELSE cursor END, \
         attempt = 0, next_attempt_at = 0 WHERE id = $1",
        position_of("$2"),
        position_of("webhook_endpoints.cursor"),
    );
    Ok(client.run(&sql, &[&id, &after]).await? > 0)
}

pub(super) async fn queue_one_off(client: &Client, id: &str, m: &OneOff) -> Result<(), StoreError> {
    client
        .run(
            "INSERT INTO webhook_one_offs (endpoint_id, event_seq, message_id, created_at) \
             VALUES ($1, $2, $3, $4)",
            &[&id, &m.event_seq, &m.message_id, &m.created_at.millis()],
        )
        .await?;
    Ok(())
}

pub(super) async fn deliveries(
    client: &Client,
    id: &str,
    before: i64,
    limit: u32,
) -> Result<Vec<DeliveryRecord>, StoreError> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries \
         WHERE endpoint_id = $1 AND ($2::bigint = 0 OR id < $2::bigint) ORDER BY id DESC LIMIT $3"
    );
    let rows = client
        .rows(&sql, &[&id, &before, &i64::from(limit)])
        .await?;
    Ok(rows
        .iter()
        .map(delivery_from_row)
        .collect::<Result<_, _>>()?)
}

pub(super) async fn prune_deliveries(
    client: &Client,
    before: Timestamp,
) -> Result<u64, StoreError> {
    Ok(client
        .run(
            "DELETE FROM webhook_deliveries WHERE created_at < $1",
            &[&before.millis()],
        )
        .await?)
}
