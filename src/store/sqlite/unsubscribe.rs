//! The unsubscribe link: a contact found by its token, and its subscription set by it.

use super::contacts::get;
use super::events::record_change;
use super::rows::update_contact_row;
use crate::domain::contact::ContactPatch;
use crate::domain::events::Actor;
use crate::domain::ids::{ContactId, UnsubToken};
use crate::domain::timestamp::Timestamp;
use crate::store::{StoreError, UnsubscribeTarget};
use rusqlite::{Connection, OptionalExtension};

pub fn find(
    conn: &Connection,
    token: &UnsubToken,
) -> Result<Option<UnsubscribeTarget>, StoreError> {
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

pub fn set_subscribed(
    conn: &Connection,
    token: &UnsubToken,
    subscribed: bool,
    now: Timestamp,
) -> Result<Option<UnsubscribeTarget>, StoreError> {
    let Some(target) = find(conn, token)? else {
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
    match next {
        Some(next) => {
            update_contact_row(conn, &target.contact, &next)?;
            record_change(
                conn,
                Some(&target.contact),
                Some(&next),
                &Actor::UnsubscribeLink,
                now,
            )?;
            Ok(Some(UnsubscribeTarget {
                contact: next,
                workspace_name: target.workspace_name,
            }))
        }
        None => Ok(Some(target)),
    }
}
