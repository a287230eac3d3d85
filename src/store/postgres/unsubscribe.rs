//! [`UnsubscribeStore`] on PostgreSQL: a contact found by its link's token, and its
//! subscription set by it (`domain::target::plan_subscription` decides the change).

use super::PostgresStore;
use super::events::record_changes;
use super::rows::{CONTACT_COLUMNS, contact_from_row, update_contacts};
use super::statements::Sql;
use super::suppressions::suppressions_of;
use crate::domain::events::Actor;
use crate::domain::evidence::{Evidence, WriteEvidence};
use crate::domain::ids::UnsubToken;
use crate::domain::target::plan_subscription;
use crate::domain::timestamp::Timestamp;
use crate::store::{StoreError, UnsubscribeStore, UnsubscribeTarget};
use async_trait::async_trait;
use deadpool_postgres::Client;

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
    client: &impl Sql,
    token: &UnsubToken,
    lock: &str,
) -> Result<Option<UnsubscribeTarget>, StoreError> {
    let Some(row) = client.row_opt(&select(lock), &[&token.as_str()]).await? else {
        return Ok(None);
    };
    let workspace_name: String = row.try_get(row.len() - 1)?;
    Ok(Some(UnsubscribeTarget {
        contact: contact_from_row(&row)?,
        workspace_name,
    }))
}

async fn find(
    client: &Client,
    token: &UnsubToken,
) -> Result<Option<UnsubscribeTarget>, StoreError> {
    find_in(client, token, "").await
}

async fn set_subscribed(
    client: &mut Client,
    token: &UnsubToken,
    subscribed: bool,
    now: Timestamp,
    evidence: &Evidence,
) -> Result<Option<UnsubscribeTarget>, StoreError> {
    let tx = client.transaction().await?;
    let Some(target) = find_in(&tx, token, "FOR UPDATE OF c").await? else {
        return Ok(None);
    };
    let contact = &target.contact;
    // The page's Resubscribe never lifts a suppression (docs/consent.md, "Suppression").
    if subscribed
        && !suppressions_of(&tx, &contact.workspace_id, &[contact.email.normalized()])
            .await?
            .is_empty()
    {
        return Ok(Some(target));
    }
    let Some(next) = plan_subscription(&target.contact, subscribed, now)? else {
        return Ok(Some(target));
    };
    update_contacts(&tx, &[&next]).await?;
    record_changes(
        &tx,
        &[(Some(&target.contact), Some(&next))],
        &Actor::UnsubscribeLink,
        &WriteEvidence::same_for_all(evidence),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(Some(UnsubscribeTarget {
        contact: next,
        workspace_name: target.workspace_name,
    }))
}

#[async_trait]
impl UnsubscribeStore for PostgresStore {
    async fn find_by_unsub_token(
        &self,
        token: &UnsubToken,
    ) -> Result<Option<UnsubscribeTarget>, StoreError> {
        self.timed(async { find(&self.client().await?, token).await })
            .await
    }

    async fn set_subscribed_by_token(
        &self,
        token: UnsubToken,
        subscribed: bool,
        now: Timestamp,
        evidence: Evidence,
    ) -> Result<Option<UnsubscribeTarget>, StoreError> {
        self.timed(async {
            set_subscribed(
                &mut self.client().await?,
                &token,
                subscribed,
                now,
                &evidence,
            )
            .await
        })
        .await
    }
}
