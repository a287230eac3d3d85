//! What a deletion keeps of a contact for later webhook messages (PostgreSQL side): its
//! unsubscribe token and times, written by `events::record_changes` in the deletion's
//! transaction (`crate::domain::webhook_payload::DeletedContact`); and one feed event by
//! its id, for a replay of that event.

use super::events::{EVENT_COLUMNS, event_from_row};
use super::statements::Sql;
use crate::domain::contact::Contact;
use crate::domain::events::StoredEvent;
use crate::domain::timestamp::Timestamp;
use crate::domain::webhook_payload::DeletedContact;
use crate::store::StoreError;
use deadpool_postgres::Client;

/// Keeps what later messages need of contacts being deleted, in the caller's transaction.
pub async fn keep(
    tx: &impl Sql,
    deleted: &[&Contact],
    now: Timestamp,
) -> Result<(), tokio_postgres::Error> {
    if deleted.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = deleted.iter().map(|c| c.id.as_str()).collect();
    let workspaces: Vec<&str> = deleted.iter().map(|c| c.workspace_id.as_str()).collect();
    let tokens: Vec<&str> = deleted.iter().map(|c| c.unsub_token.as_str()).collect();
    let created: Vec<i64> = deleted.iter().map(|c| c.created_at.millis()).collect();
    let updated: Vec<i64> = deleted.iter().map(|c| c.updated_at.millis()).collect();
    tx.run(
        "INSERT INTO deleted_contacts (contact_id, workspace_id, unsub_token, created_at, updated_at, deleted_at) \
         SELECT c, w, t, cr, up, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::int8[]) \
         AS d(c, w, t, cr, up) ON CONFLICT (contact_id) DO NOTHING",
        &[&ids, &workspaces, &tokens, &created, &updated, &now.millis()],
    )
    .await?;
    Ok(())
}

pub async fn get(client: &Client, id: &str) -> Result<Option<DeletedContact>, StoreError> {
    let row = client
        .row_opt(
            "SELECT unsub_token, created_at, updated_at FROM deleted_contacts WHERE contact_id = $1",
            &[&id],
        )
        .await?;
    row.map(|r| {
        Ok(DeletedContact {
            unsub_token: r.try_get(0)?,
            created_at: Timestamp::from_millis(r.try_get(1)?),
            updated_at: Timestamp::from_millis(r.try_get(2)?),
        })
    })
    .transpose()
}

pub async fn forget(client: &Client) -> Result<u64, StoreError> {
    Ok(client
        .run(
            "DELETE FROM deleted_contacts d WHERE NOT EXISTS \
             (SELECT 1 FROM contact_events e WHERE e.contact_id = d.contact_id)",
            &[],
        )
        .await?)
}

pub async fn event(
    client: &Client,
    workspace: &str,
    seq: i64,
) -> Result<Option<StoredEvent>, StoreError> {
    let row = client
        .row_opt(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM contact_events WHERE seq = $1 AND workspace_id = $2"
            ),
            &[&seq, &workspace],
        )
        .await?;
    row.as_ref().map(event_from_row).transpose()
}
