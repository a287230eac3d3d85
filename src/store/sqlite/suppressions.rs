//! [`SuppressionStore`] on SQLite, and the suppression reads and writes the contact
//! writes share (`contacts.rs` fetches the suppressions a plan needs and persists its
//! lifts here). Writes run on the writer thread; the salt is made by the first write that
//! needs it, so a reader that finds none knows no suppression exists.

use super::SqliteStore;
use super::events::{EVENT_COLUMNS, EVENTS_WITH_EVIDENCE, event_from_row, record};
use super::rows::{CONTACT_COLUMNS, contact_from_row, update_contact_row};
use super::{erasure, suppression_copy};
use crate::domain::contact::Contact;
use crate::domain::email::EmailAddress;
use crate::domain::events::{Actor, StoredEvent};
use crate::domain::evidence::{Evidence, Origin};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::suppression::{
    Lift, Suppression, SuppressionReason, SuppressionsByEmail, new_salt, suppression_event,
    suppression_id,
};
use crate::domain::target::plan_subscription;
use crate::domain::timestamp::Timestamp;
use crate::store::{
    ErasureOutcome, LiftOutcome, StoreError, SuppressOutcome, SuppressionCopy, SuppressionPage,
    SuppressionStore,
};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::BTreeSet;

pub(super) const COLUMNS: &str =
    "id, workspace_id, email, reason, actor_type, actor_key_id, created_at";

pub(super) fn from_row(row: &Row<'_>) -> rusqlite::Result<Result<Suppression, StoreError>> {
    let id: String = row.get(0)?;
    let reason: String = row.get(3)?;
    let actor_type: String = row.get(4)?;
    let key_id: Option<String> = row.get(5)?;
    let unreadable = || StoreError::Internal(format!("suppression {id}: unreadable row"));
    let (Some(reason), Some(actor)) = (
        SuppressionReason::parse(&reason),
        Actor::from_stored(&actor_type, key_id),
    ) else {
        return Ok(Err(unreadable()));
    };
    Ok(Ok(Suppression {
        workspace_id: WorkspaceId::from_stored(row.get(1)?),
        email: row.get(2)?,
        reason,
        at: Timestamp::from_millis(row.get(6)?),
        actor,
        id,
    }))
}

/// The database's salt, if a suppression was ever made.
pub(super) fn salt(conn: &Connection) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(conn
        .prepare_cached("SELECT salt FROM suppression_salt WHERE singleton = 1")?
        .query_row([], |r| r.get(0))
        .optional()?)
}

/// The database's salt, made now if there is none (writer only).
pub(super) fn salt_or_make(conn: &Connection) -> Result<Vec<u8>, StoreError> {
    if let Some(salt) = salt(conn)? {
        return Ok(salt);
    }
    conn.prepare_cached("INSERT OR IGNORE INTO suppression_salt (singleton, salt) VALUES (1, ?1)")?
        .execute([new_salt()])?;
    salt(conn)?.ok_or_else(|| StoreError::Internal("the suppression salt vanished".to_owned()))
}

pub(super) fn get(conn: &Connection, id: &str) -> Result<Option<Suppression>, StoreError> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM suppressions WHERE id = ?1"))?
        .query_row([id], from_row)
        .optional()?
        .transpose()
}

/// The suppressions of these normalised addresses of `workspace`, by address.
pub(super) fn suppressions_of(
    conn: &Connection,
    workspace: &WorkspaceId,
    emails: &[&str],
) -> Result<SuppressionsByEmail, StoreError> {
    let mut found = SuppressionsByEmail::new();
    let Some(salt) = salt(conn)? else {
        return Ok(found);
    };
    for email in emails.iter().collect::<BTreeSet<_>>() {
        if let Some(s) = get(conn, &suppression_id(&salt, workspace, email))? {
            found.insert((*email).to_owned(), s);
        }
    }
    Ok(found)
}

pub(super) fn put(conn: &Connection, s: &Suppression) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO suppressions (id, workspace_id, email, reason, actor_type, actor_key_id, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO UPDATE SET email = excluded.email, \
         reason = excluded.reason, actor_type = excluded.actor_type, \
         actor_key_id = excluded.actor_key_id, created_at = excluded.created_at",
    )?
    .execute(params![
        s.id,
        s.workspace_id.as_str(),
        s.email,
        s.reason.as_str(),
        s.actor.stored_kind(),
        s.actor.key_id(),
        s.at.millis(),
    ])?;
    Ok(())
}

/// Deletes lifted suppressions and records their `contact.unsuppressed` events.
pub(super) fn write_lifts(
    conn: &Connection,
    lifts: &[Lift],
    actor: &Actor,
    evidence: &Evidence,
    now: Timestamp,
) -> Result<(), StoreError> {
    for lift in lifts {
        let s = &lift.suppression;
        conn.prepare_cached("DELETE FROM suppressions WHERE id = ?1")?
            .execute([s.id.as_str()])?;
        let event = suppression_event(
            &s.workspace_id,
            &lift.contact_id,
            Some(s.reason),
            None,
            None,
        );
        record(conn, &event, actor, evidence, now)?;
    }
    Ok(())
}

pub(super) fn holder(
    conn: &Connection,
    workspace: &WorkspaceId,
    email_norm: &str,
) -> Result<Option<Contact>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = ?1 AND email_norm = ?2"
        ))?
        .query_row(params![workspace.as_str(), email_norm], contact_from_row)
        .optional()?)
}

/// Suppresses an address in the writer's transaction (`SuppressionStore::suppress_address`).
pub(super) fn suppress(
    conn: &Connection,
    workspace: &WorkspaceId,
    email: &EmailAddress,
    reason: SuppressionReason,
    origin: &Origin,
    now: Timestamp,
) -> Result<SuppressOutcome, StoreError> {
    let id = suppression_id(&salt_or_make(conn)?, workspace, email.normalized());
    let contact = holder(conn, workspace, email.normalized())?;
    let contact_id = contact.as_ref().map(|c| c.id.clone());
    let existing = get(conn, &id)?;
    if let Some(kept) = existing.as_ref().filter(|s| {
        s.reason == reason
            || (s.reason == SuppressionReason::Erased && reason != SuppressionReason::Erased)
    }) {
        return Ok(SuppressOutcome {
            suppression: kept.clone(),
            contact_id,
            changed: false,
        });
    }
    let suppression = Suppression {
        id,
        workspace_id: workspace.clone(),
        email: (reason != SuppressionReason::Erased).then(|| email.normalized().to_owned()),
        reason,
        at: now,
        actor: origin.actor.clone(),
    };
    put(conn, &suppression)?;
    if let Some(contact) = &contact {
        if let Some(next) = plan_subscription(contact, false, now)? {
            update_contact_row(conn, contact, &next)?;
        }
        let old = existing.map(|s| s.reason);
        let subscribed = Some((contact.subscribed, false));
        let event = suppression_event(workspace, &contact.id, old, Some(reason), subscribed);
        record(conn, &event, &origin.actor, &origin.evidence, now)?;
    }
    Ok(SuppressOutcome {
        suppression,
        contact_id,
        changed: true,
    })
}

fn lift(
    conn: &Connection,
    id: &str,
    workspaces: Option<&[WorkspaceId]>,
    override_given: bool,
    origin: &Origin,
    now: Timestamp,
) -> Result<LiftOutcome, StoreError> {
    let Some(s) = get(conn, id)?
        .filter(|s| workspaces.is_none_or(|allowed| allowed.contains(&s.workspace_id)))
    else {
        return Ok(LiftOutcome::NotFound);
    };
    if s.reason == SuppressionReason::Erased || (s.reason.lift_needs_override() && !override_given)
    {
        return Ok(LiftOutcome::Refused(s.reason));
    }
    let contact = match &s.email {
        Some(email) => holder(conn, &s.workspace_id, email)?,
        None => None,
    };
    match contact {
        Some(contact) => write_lifts(
            conn,
            &[Lift {
                contact_id: contact.id,
                suppression: s.clone(),
            }],
            &origin.actor,
            &origin.evidence,
            now,
        )?,
        None => {
            conn.prepare_cached("DELETE FROM suppressions WHERE id = ?1")?
                .execute([id])?;
        }
    }
    Ok(LiftOutcome::Lifted(s.reason))
}

fn list(
    conn: &Connection,
    workspace: &WorkspaceId,
    limit: u32,
    offset: u64,
) -> Result<SuppressionPage, StoreError> {
    let total: i64 = conn
        .prepare_cached("SELECT COUNT(*) FROM suppressions WHERE workspace_id = ?1")?
        .query_row([workspace.as_str()], |r| r.get(0))?;
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let suppressions = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM suppressions WHERE workspace_id = ?1 \
             ORDER BY created_at DESC, id LIMIT ?2 OFFSET ?3"
        ))?
        .query_map(
            params![workspace.as_str(), i64::from(limit), offset],
            from_row,
        )?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .collect::<Result<_, _>>()?;
    Ok(SuppressionPage {
        suppressions,
        total: u64::try_from(total).unwrap_or(0),
    })
}

fn last_event(
    conn: &Connection,
    workspace: &WorkspaceId,
    contact: &ContactId,
) -> Result<Option<StoredEvent>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {EVENT_COLUMNS} FROM {EVENTS_WITH_EVIDENCE} \
         WHERE e.contact_id = ?1 AND e.workspace_id = ?2 ORDER BY e.seq DESC LIMIT 1"
    ))?
    .query_row(
        params![contact.as_str(), workspace.as_str()],
        event_from_row,
    )
    .optional()?
    .transpose()
}

#[async_trait]
impl SuppressionStore for SqliteStore {
    async fn suppress_address(
        &self,
        workspace: &WorkspaceId,
        email: &EmailAddress,
        reason: SuppressionReason,
        origin: Origin,
        now: Timestamp,
    ) -> Result<SuppressOutcome, StoreError> {
        let (workspace, email) = (workspace.clone(), email.clone());
        self.writer
            .write(move |conn| suppress(conn, &workspace, &email, reason, &origin, now))
            .await
    }

    async fn lift_suppression(
        &self,
        id: &str,
        workspaces: Option<&[WorkspaceId]>,
        override_given: bool,
        origin: Origin,
        now: Timestamp,
    ) -> Result<LiftOutcome, StoreError> {
        let (id, workspaces) = (id.to_owned(), workspaces.map(<[WorkspaceId]>::to_vec));
        self.writer
            .write(move |conn| {
                lift(
                    conn,
                    &id,
                    workspaces.as_deref(),
                    override_given,
                    &origin,
                    now,
                )
            })
            .await
    }

    async fn suppression_of(
        &self,
        workspace: &WorkspaceId,
        email_norm: &str,
    ) -> Result<Option<Suppression>, StoreError> {
        let (workspace, email) = (workspace.clone(), email_norm.to_owned());
        self.readers
            .read(move |conn| {
                Ok(suppressions_of(conn, &workspace, &[email.as_str()])?
                    .into_values()
                    .next())
            })
            .await
    }

    async fn list_suppressions(
        &self,
        workspace: &WorkspaceId,
        limit: u32,
        offset: u64,
    ) -> Result<SuppressionPage, StoreError> {
        let workspace = workspace.clone();
        self.readers
            .read(move |conn| list(conn, &workspace, limit, offset))
            .await
    }

    async fn erase_address(
        &self,
        workspace: &WorkspaceId,
        email: &EmailAddress,
        origin: Origin,
        now: Timestamp,
    ) -> Result<ErasureOutcome, StoreError> {
        let (workspace, email) = (workspace.clone(), email.clone());
        self.writer
            .write(move |conn| erasure::erase(conn, &workspace, &email, &origin, now))
            .await
    }

    async fn export_suppressions(&self) -> Result<SuppressionCopy, StoreError> {
        self.readers.read(suppression_copy::export).await
    }

    async fn import_suppressions(&self, copy: SuppressionCopy) -> Result<(), StoreError> {
        self.writer
            .write(move |conn| suppression_copy::import(conn, &copy))
            .await
    }

    async fn last_event_of(
        &self,
        workspace: &WorkspaceId,
        contact: &ContactId,
    ) -> Result<Option<StoredEvent>, StoreError> {
        let (workspace, contact) = (workspace.clone(), contact.clone());
        self.readers
            .read(move |conn| last_event(conn, &workspace, &contact))
            .await
    }
}
