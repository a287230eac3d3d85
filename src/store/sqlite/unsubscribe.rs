//! [`UnsubscribeStore`] on SQLite: a contact found by its link's token, and its
//! subscription set by it (`domain::target::plan_subscription` decides the change).

use super::SqliteStore;
use super::contacts::get;
use super::events::record_change;
use super::rows::update_contact_row;
use super::suppressions::suppressions_of;
use crate::domain::events::Actor;
use crate::domain::evidence::Evidence;
use crate::domain::ids::{ContactId, UnsubToken};
use crate::domain::target::plan_subscription;
use crate::domain::timestamp::Timestamp;
use crate::store::{StoreError, UnsubscribeStore, UnsubscribeTarget};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension};

fn find(conn: &Connection, token: &UnsubToken) -> Result<Option<UnsubscribeTarget>, StoreError> {
    let found: Option<(String, String)> = conn
        .prepare_cached(
            "SELECT c.id, w.name FROM contacts c JOIN workspaces w ON w.id = c.workspace_id \
             WHERE c.unsub_token = ?1",
        )?
        .query_row([token.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((id, workspace_name)) = found else {
        return Ok(None);
    };
    Ok(
        get(conn, &ContactId::from_stored(id))?.map(|contact| UnsubscribeTarget {
            contact,
            workspace_name,
        }),
    )
}

fn set_subscribed(
    conn: &Connection,
    token: &UnsubToken,
    subscribed: bool,
    now: Timestamp,
    evidence: &Evidence,
) -> Result<Option<UnsubscribeTarget>, StoreError> {
    let Some(target) = find(conn, token)? else {
        return Ok(None);
    };
    let contact = &target.contact;
    // The page's Resubscribe never lifts a suppression (docs/consent.md, "Suppression").
    if subscribed
        && !suppressions_of(conn, &contact.workspace_id, &[contact.email.normalized()])?.is_empty()
    {
        return Ok(Some(target));
    }
    let Some(next) = plan_subscription(&target.contact, subscribed, now)? else {
        return Ok(Some(target));
    };
    update_contact_row(conn, &target.contact, &next)?;
    record_change(
        conn,
        Some(&target.contact),
        Some(&next),
        &Actor::UnsubscribeLink,
        evidence,
        now,
    )?;
    Ok(Some(UnsubscribeTarget {
        contact: next,
        workspace_name: target.workspace_name,
    }))
}

#[async_trait]
impl UnsubscribeStore for SqliteStore {
    async fn find_by_unsub_token(
        &self,
        token: &UnsubToken,
    ) -> Result<Option<UnsubscribeTarget>, StoreError> {
        let token = token.clone();
        self.readers.read(move |conn| find(conn, &token)).await
    }

    async fn set_subscribed_by_token(
        &self,
        token: UnsubToken,
        subscribed: bool,
        now: Timestamp,
        evidence: Evidence,
    ) -> Result<Option<UnsubscribeTarget>, StoreError> {
        self.writer
            .write(move |conn| set_subscribed(conn, &token, subscribed, now, &evidence))
            .await
    }
}
