//! The unsubscribe link: a contact found by its token, and its subscription set by it.

use super::events::record_changes;
use super::rows::{CONTACT_COLUMNS, contact_from_row, update_contacts};
use crate::domain::contact::ContactPatch;
use crate::domain::events::Actor;
use crate::domain::ids::UnsubToken;
use crate::domain::timestamp::Timestamp;
use crate::store::{StoreError, UnsubscribeTarget};
use deadpool_postgres::{Client, GenericClient};

fn select(lock: &str) -> String {
    let columns = CONTACT_COLUMNS
        .split(", ")
        .map(|c| format!("c.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "SELECT {columns}, w.name FROM contacts c JOIN workspaces w ON w.id = c.workspace_id \
         WHERE c.unsub_token = $1 {lock}"
    )
}

async fn find_in(
    client: &impl GenericClient,
    token: &UnsubToken,
    lock: &str,
) -> Result<Option<UnsubscribeTarget>, StoreError> {
    let statement = client.prepare_cached(&select(lock)).await?;
    let Some(row) = client.query_opt(&statement, &[&token.as_str()]).await? else {
        return Ok(None);
    };
    let workspace_name: String = row.try_get(row.len() - 1)?;
    Ok(Some(UnsubscribeTarget {
        contact: contact_from_row(&row)?,
        workspace_name,
    }))
}

pub async fn find(
    client: &Client,
    token: &UnsubToken,
) -> Result<Option<UnsubscribeTarget>, StoreError> {
    find_in(client, token, "").await
}

pub async fn set_subscribed(
    client: &mut Client,
    token: &UnsubToken,
    subscribed: bool,
    now: Timestamp,
) -> Result<Option<UnsubscribeTarget>, StoreError> {
    let tx = client.transaction().await?;
    let Some(target) = find_in(&tx, token, "FOR UPDATE OF c").await? else {
        return Ok(None);
    };
    let patch = ContactPatch {
        subscribed: Some(subscribed),
        ..ContactPatch::default()
    };
    let next = target
        .contact
        .merged(&patch, now)
        .map_err(StoreError::InvalidCustomFields)?;
    let Some(next) = next else {
        return Ok(Some(target));
    };
    update_contacts(&tx, &[&next]).await?;
    record_changes(
        &tx,
        &[(Some(&target.contact), Some(&next))],
        &Actor::UnsubscribeLink,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(UnsubscribeTarget {
        contact: next,
        workspace_name: target.workspace_name,
    }))
}
