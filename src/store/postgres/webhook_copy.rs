//! Webhook endpoints read and written as they are, for `purrlist copy` (PostgreSQL side).

use super::statements::Sql;
use crate::domain::webhooks::WebhookEndpoint;
use crate::store::StoreError;
use crate::store::webhooks::rows::{ENDPOINT_COLUMNS, endpoint_from_row, endpoint_values};
use deadpool_postgres::Client;

pub async fn export(client: &Client) -> Result<Vec<WebhookEndpoint>, StoreError> {
    let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints ORDER BY created_at, id");
    let rows = client.rows(&sql, &[]).await?;
    Ok(rows
        .iter()
        .map(endpoint_from_row)
        .collect::<Result<_, _>>()?)
}

pub async fn import(client: &mut Client, endpoints: &[WebhookEndpoint]) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    let insert = format!(
        "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES \
         ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (id) DO NOTHING"
    );
    for e in endpoints {
        let v = endpoint_values(e);
        tx.run(
            &insert,
            &[
                &v.id,
                &v.workspace_id,
                &v.url,
                &v.event_types,
                &v.description,
                &v.enabled,
                &v.state,
                &v.secret,
                &v.previous_secret,
                &v.previous_until,
                &v.created_at,
                &v.updated_at,
                &v.cursor,
                &v.attempt,
                &v.next_attempt_at,
            ],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
