//! [`SuppressionStore`] on PostgreSQL, and the suppression reads and writes the contact
//! writes share (`contacts.rs` and `bulk.rs` fetch the suppressions a plan needs and
//! persist its lifts here). A write that suppresses, lifts or erases locks the contact
//! holding the address (`FOR UPDATE`), as every contact write does, so a concurrent PUT
//! that would re-subscribe it either runs first (and is then unsubscribed) or sees the
//! suppression.

use super::PostgresStore;
use super::events::{EVENT_COLUMNS, event_from_row, record_events};
use super::rows::{CONTACT_COLUMNS, contact_from_row, update_contacts};
use super::statements::Sql;
use super::{erasure, suppression_copy};
use crate::domain::contact::Contact;
use crate::domain::email::EmailAddress;
use crate::domain::events::{Actor, StoredEvent};
use crate::domain::evidence::{Evidence, Origin, WriteEvidence};
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
use deadpool_postgres::Client;
use std::collections::BTreeSet;
use tokio_postgres::Row;

pub(super) const COLUMNS: &str =
    "id, workspace_id, email, reason, actor_type, actor_key_id, created_at";

pub(super) fn from_row(row: &Row) -> Result<Suppression, StoreError> {
    let id: String = row.try_get(0)?;
    let reason: String = row.try_get(3)?;
    let actor_type: String = row.try_get(4)?;
    let (Some(reason), Some(actor)) = (
        SuppressionReason::parse(&reason),
        Actor::from_stored(&actor_type, row.try_get(5)?),
    ) else {
        return Err(StoreError::Internal(format!(
            "suppression {id}: unreadable row"
        )));
    };
    Ok(Suppression {
        workspace_id: WorkspaceId::from_stored(row.try_get(1)?),
        email: row.try_get(2)?,
        reason,
        at: Timestamp::from_millis(row.try_get(6)?),
        actor,
        id,
    })
}

/// The database's salt, if a suppression was ever made.
pub(super) async fn salt(client: &impl Sql) -> Result<Option<Vec<u8>>, StoreError> {
    let row = client
        .row_opt("SELECT salt FROM suppression_salt WHERE singleton = 1", &[])
        .await?;
    Ok(row.map(|r| r.try_get(0)).transpose()?)
}

/// The database's salt, made now if there is none.
pub(super) async fn salt_or_make(client: &impl Sql) -> Result<Vec<u8>, StoreError> {
    if let Some(salt) = salt(client).await? {
        return Ok(salt);
    }
    client
        .run(
            "INSERT INTO suppression_salt (singleton, salt) VALUES (1, $1) ON CONFLICT DO NOTHING",
            &[&new_salt()],
        )
        .await?;
    salt(client)
        .await?
        .ok_or_else(|| StoreError::Internal("the suppression salt vanished".to_owned()))
}

pub(super) async fn get(client: &impl Sql, id: &str) -> Result<Option<Suppression>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM suppressions WHERE id = $1");
    client
        .row_opt(&sql, &[&id])
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The suppressions of these normalised addresses of `workspace`, by address.
pub(super) async fn suppressions_of(
    client: &impl Sql,
    workspace: &WorkspaceId,
    emails: &[&str],
) -> Result<SuppressionsByEmail, StoreError> {
    let mut found = SuppressionsByEmail::new();
    if emails.is_empty() {
        return Ok(found);
    }
    let Some(salt) = salt(client).await? else {
        return Ok(found);
    };
    let wanted: BTreeSet<&str> = emails.iter().copied().collect();
    let ids: Vec<String> = wanted
        .iter()
        .map(|email| suppression_id(&salt, workspace, email))
        .collect();
    let sql = format!("SELECT {COLUMNS} FROM suppressions WHERE id = ANY($1::text[])");
    let rows = client.rows(&sql, &[&ids]).await?;
    for row in &rows {
        let s = from_row(row)?;
        if let Some(email) = wanted.iter().zip(&ids).find(|(_, id)| **id == s.id) {
            found.insert((*email.0).to_owned(), s);
        }
    }
    Ok(found)
}

pub(super) async fn put(client: &impl Sql, s: &Suppression) -> Result<(), StoreError> {
    client
        .run(
            "INSERT INTO suppressions (id, workspace_id, email, reason, actor_type, actor_key_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET email = excluded.email, \
             reason = excluded.reason, actor_type = excluded.actor_type, \
             actor_key_id = excluded.actor_key_id, created_at = excluded.created_at",
            &[
                &s.id,
                &s.workspace_id.as_str(),
                &s.email,
                &s.reason.as_str(),
                &s.actor.stored_kind().as_ref(),
                &s.actor.key_id(),
                &s.at.millis(),
            ],
        )
        .await?;
    Ok(())
}

/// Deletes lifted suppressions and records their `contact.unsuppressed` events.
pub(super) async fn write_lifts(
    client: &impl Sql,
    lifts: &[Lift],
    actor: &Actor,
    evidence: &Evidence,
    now: Timestamp,
) -> Result<(), tokio_postgres::Error> {
    if lifts.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = lifts.iter().map(|l| l.suppression.id.as_str()).collect();
    client
        .run(
            "DELETE FROM suppressions WHERE id = ANY($1::text[])",
            &[&ids],
        )
        .await?;
    let events: Vec<_> = lifts
        .iter()
        .map(|l| {
            let s = &l.suppression;
            suppression_event(&s.workspace_id, &l.contact_id, Some(s.reason), None, None)
        })
        .collect();
    record_events(
        client,
        &events,
        actor,
        &WriteEvidence::same_for_all(evidence),
        now,
    )
    .await
}

/// The contact of `workspace` holding the address, locked.
pub(super) async fn holder(
    client: &impl Sql,
    workspace: &WorkspaceId,
    email_norm: &str,
) -> Result<Option<Contact>, StoreError> {
    let sql = format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = $1 AND email_norm = $2 FOR UPDATE"
    );
    client
        .row_opt(&sql, &[&workspace.as_str(), &email_norm])
        .await?
        .as_ref()
        .map(contact_from_row)
        .transpose()
}

async fn suppress(
    client: &mut Client,
    workspace: &WorkspaceId,
    email: &EmailAddress,
    reason: SuppressionReason,
    origin: &Origin,
    now: Timestamp,
) -> Result<SuppressOutcome, StoreError> {
    let tx = client.transaction().await?;
    let outcome = suppress_in(&tx, workspace, email, reason, origin, now).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// Suppresses an address in the caller's transaction (`SuppressionStore::suppress_address`).
pub(super) async fn suppress_in(
    tx: &impl Sql,
    workspace: &WorkspaceId,
    email: &EmailAddress,
    reason: SuppressionReason,
    origin: &Origin,
    now: Timestamp,
) -> Result<SuppressOutcome, StoreError> {
    let id = suppression_id(&salt_or_make(tx).await?, workspace, email.normalized());
    let contact = holder(tx, workspace, email.normalized()).await?;
    let contact_id = contact.as_ref().map(|c| c.id.clone());
    let existing = get(tx, &id).await?;
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
    put(tx, &suppression).await?;
    if let Some(contact) = &contact {
        if let Some(next) = plan_subscription(contact, false, now)? {
            update_contacts(tx, &[&next]).await?;
        }
        let old = existing.map(|s| s.reason);
        let subscribed = Some((contact.subscribed, false));
        let event = suppression_event(workspace, &contact.id, old, Some(reason), subscribed);
        record_events(
            tx,
            &[event],
            &origin.actor,
            &WriteEvidence::same_for_all(&origin.evidence),
            now,
        )
        .await?;
    }
    Ok(SuppressOutcome {
        suppression,
        contact_id,
        changed: true,
    })
}

async fn lift(
    client: &mut Client,
    id: &str,
    workspaces: Option<&[WorkspaceId]>,
    override_given: bool,
    origin: &Origin,
    now: Timestamp,
) -> Result<LiftOutcome, StoreError> {
    let tx = client.transaction().await?;
    let Some(s) = get(&tx, id)
        .await?
        .filter(|s| workspaces.is_none_or(|allowed| allowed.contains(&s.workspace_id)))
    else {
        return Ok(LiftOutcome::NotFound);
    };
    if s.reason == SuppressionReason::Erased || (s.reason.lift_needs_override() && !override_given)
    {
        return Ok(LiftOutcome::Refused(s.reason));
    }
    let contact = match &s.email {
        Some(email) => holder(&tx, &s.workspace_id, email).await?,
        None => None,
    };
    match contact {
        Some(contact) => {
            let lift = Lift {
                contact_id: contact.id,
                suppression: s.clone(),
            };
            write_lifts(&tx, &[lift], &origin.actor, &origin.evidence, now).await?;
        }
        None => {
            tx.run("DELETE FROM suppressions WHERE id = $1", &[&id])
                .await?;
        }
    }
    tx.commit().await?;
    Ok(LiftOutcome::Lifted(s.reason))
}

async fn list(
    client: &Client,
    workspace: &WorkspaceId,
    limit: u32,
    offset: u64,
) -> Result<SuppressionPage, StoreError> {
    let total: i64 = client
        .row(
            "SELECT COUNT(*) FROM suppressions WHERE workspace_id = $1",
            &[&workspace.as_str()],
        )
        .await?
        .try_get(0)?;
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT {COLUMNS} FROM suppressions WHERE workspace_id = $1 \
         ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
    );
    let rows = client
        .rows(&sql, &[&workspace.as_str(), &i64::from(limit), &offset])
        .await?;
    Ok(SuppressionPage {
        suppressions: rows.iter().map(from_row).collect::<Result<_, _>>()?,
        total: u64::try_from(total).unwrap_or(0),
    })
}

async fn last_event(
    client: &Client,
    workspace: &WorkspaceId,
    contact: &ContactId,
) -> Result<Option<StoredEvent>, StoreError> {
    client
        .row_opt(
            &format!(
                "SELECT {EVENT_COLUMNS} FROM contact_events \
                 WHERE contact_id = $1 AND workspace_id = $2 ORDER BY seq DESC LIMIT 1"
            ),
            &[&contact.as_str(), &workspace.as_str()],
        )
        .await?
        .as_ref()
        .map(event_from_row)
        .transpose()
}

#[async_trait]
impl SuppressionStore for PostgresStore {
    async fn suppress_address(
        &self,
        workspace: &WorkspaceId,
        email: &EmailAddress,
        reason: SuppressionReason,
        origin: Origin,
        now: Timestamp,
    ) -> Result<SuppressOutcome, StoreError> {
        self.timed_write(async {
            suppress(
                &mut self.client().await?,
                workspace,
                email,
                reason,
                &origin,
                now,
            )
            .await
        })
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
        self.timed_write(async {
            lift(
                &mut self.client().await?,
                id,
                workspaces,
                override_given,
                &origin,
                now,
            )
            .await
        })
        .await
    }

    async fn suppression_of(
        &self,
        workspace: &WorkspaceId,
        email_norm: &str,
    ) -> Result<Option<Suppression>, StoreError> {
        self.timed(async {
            let client = self.client().await?;
            Ok(suppressions_of(&client, workspace, &[email_norm])
                .await?
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
        self.timed(async { list(&self.client().await?, workspace, limit, offset).await })
            .await
    }

    async fn erase_address(
        &self,
        workspace: &WorkspaceId,
        email: &EmailAddress,
        origin: Origin,
        now: Timestamp,
    ) -> Result<ErasureOutcome, StoreError> {
        self.timed_write(async {
            erasure::erase(&mut self.client().await?, workspace, email, &origin, now).await
        })
        .await
    }

    async fn export_suppressions(&self) -> Result<SuppressionCopy, StoreError> {
        self.timed(async { suppression_copy::export(&self.client().await?).await })
            .await
    }

    async fn import_suppressions(&self, copy: SuppressionCopy) -> Result<(), StoreError> {
        self.timed(async { suppression_copy::import(&mut self.client().await?, &copy).await })
            .await
    }

    async fn last_event_of(
        &self,
        workspace: &WorkspaceId,
        contact: &ContactId,
    ) -> Result<Option<StoredEvent>, StoreError> {
        self.timed(async { last_event(&self.client().await?, workspace, contact).await })
            .await
    }
}
