//! Webhook endpoints read and written as they are, for `purrlist copy` (SQLite side).

use crate::domain::webhooks::WebhookEndpoint;
use crate::store::StoreError;
use crate::store::webhooks::rows::{ENDPOINT_COLUMNS, endpoint_from_row, endpoint_values};
use rusqlite::{Connection, params};

pub fn export(conn: &Connection) -> Result<Vec<WebhookEndpoint>, StoreError> {
    Ok(conn
        .prepare(&format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id"
        ))?
        .query_map([], |r| endpoint_from_row(r))?
        .collect::<Result<_, _>>()?)
}

pub fn import(conn: &Connection, endpoints: &[WebhookEndpoint]) -> Result<(), StoreError> {
    let mut insert = conn.prepare(&format!(
        "INSERT OR IGNORE INTO webhook_endpoints ({ENDPOINT_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    ))?;
    for e in endpoints {
        let v = endpoint_values(e);
        insert.execute(params![
            v.id,
            v.workspace_id,
            v.url,
            v.event_types,
            v.description,
            v.enabled,
            v.state,
            v.secret,
            v.previous_secret,
            v.previous_until,
            v.created_at,
            v.updated_at,
            v.cursor,
            v.attempt,
            v.next_attempt_at,
        ])?;
    }
    Ok(())
}
