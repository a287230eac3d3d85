//! [`ConfirmationStore`] on SQLite: pending confirmations in `confirmations`, each step
//! planned by `domain::confirmation` and written with its event on the writer thread.

use super::SqliteStore;
use super::contacts::{get, update, upsert};
use super::events::record;
use super::rows::update_contact_row;
use crate::domain::bulk::BulkItem;
use crate::domain::confirmation::{
    ConfirmPlan, ConfirmationToken, PendingConfirmation, RequestEvidence, RequestPlan,
    asked_to_confirm, confirmation_url, confirmed_event, expired_event, plan_confirmation,
    plan_request, requested_event,
};
use crate::domain::contact::ContactPatch;
use crate::domain::events::Actor;
use crate::domain::evidence::{Evidence, Origin};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::target::Target;
use crate::domain::timestamp::Timestamp;
use crate::store::{
    AskToConfirm, BulkOutcome, ConfirmOutcome, ConfirmationRequest, ConfirmationStore,
    ConfirmationTarget, RequestOutcome, StoreError, UpdateOutcome,
};
use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};

const COLUMNS: &str = "token, workspace_id, contact_id, requested_at, expires_at";

fn pending_from_row(r: &Row<'_>) -> rusqlite::Result<PendingConfirmation> {
    Ok(PendingConfirmation {
        token: ConfirmationToken::from_stored(r.get(0)?),
        workspace_id: WorkspaceId::from_stored(r.get(1)?),
        contact_id: ContactId::from_stored(r.get(2)?),
        requested_at: Timestamp::from_millis(r.get(3)?),
        expires_at: Timestamp::from_millis(r.get(4)?),
    })
}

fn pending_of(
    conn: &Connection,
    contact: &ContactId,
) -> Result<Option<PendingConfirmation>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM confirmations WHERE contact_id = ?1"
        ))?
        .query_row([contact.as_str()], pending_from_row)
        .optional()?)
}

fn save(conn: &Connection, p: &PendingConfirmation) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO confirmations (token, workspace_id, contact_id, requested_at, expires_at) \
         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (contact_id) DO UPDATE SET \
         token = excluded.token, requested_at = excluded.requested_at, expires_at = excluded.expires_at",
    )?
    .execute(params![
        p.token.as_str(),
        p.workspace_id.as_str(),
        p.contact_id.as_str(),
        p.requested_at.millis(),
        p.expires_at.millis(),
    ])?;
    Ok(())
}

fn drop_pending(conn: &Connection, contact: &ContactId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM confirmations WHERE contact_id = ?1")?
        .execute([contact.as_str()])?;
    Ok(())
}

fn request(
    conn: &Connection,
    ids: &[ContactId],
    req: &ConfirmationRequest,
) -> Result<Vec<RequestOutcome>, StoreError> {
    let mut outcomes = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(contact) = get(conn, id)?.filter(|c| c.workspace_id == req.workspace) else {
            outcomes.push(RequestOutcome::NotFound);
            continue;
        };
        let pending = pending_of(conn, id)?;
        match plan_request(&contact, pending.as_ref(), req.now, req.ttl_millis) {
            RequestPlan::AlreadySubscribed => outcomes.push(RequestOutcome::AlreadySubscribed),
            RequestPlan::Issue(next) => {
                save(conn, &next)?;
                let url = confirmation_url(&req.public_base, &next.token);
                let event = requested_event(&next, &url, &req.evidence);
                record(
                    conn,
                    &event,
                    &req.actor,
                    &req.evidence.as_evidence(),
                    req.now,
                )?;
                outcomes.push(RequestOutcome::Requested(next));
            }
        }
    }
    Ok(outcomes)
}

fn find(
    conn: &Connection,
    token: &ConfirmationToken,
    now: Timestamp,
) -> Result<Option<ConfirmationTarget>, StoreError> {
    let found = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM confirmations WHERE token = ?1"
        ))?
        .query_row([token.as_str()], pending_from_row)
        .optional()?;
    let Some(pending) = found.filter(|p| p.is_live(now)) else {
        return Ok(None);
    };
    let Some(contact) = get(conn, &pending.contact_id)? else {
        return Ok(None);
    };
    let workspace_name: String = conn
        .prepare_cached("SELECT name FROM workspaces WHERE id = ?1")?
        .query_row([pending.workspace_id.as_str()], |r| r.get(0))?;
    Ok(Some(ConfirmationTarget {
        contact,
        workspace_name,
        pending,
    }))
}

fn confirm(
    conn: &Connection,
    token: &ConfirmationToken,
    evidence: &RequestEvidence,
    now: Timestamp,
) -> Result<ConfirmOutcome, StoreError> {
    let Some(target) = find(conn, token, now)? else {
        return Ok(ConfirmOutcome::Unavailable);
    };
    // A suppressed address is not subscribed by a link (docs/consent.md, "Suppression").
    let contact = &target.contact;
    let email = [contact.email.normalized()];
    if !super::suppressions::suppressions_of(conn, &contact.workspace_id, &email)?.is_empty() {
        return Ok(ConfirmOutcome::Unavailable);
    }
    match plan_confirmation(&target.contact, &target.pending, now)? {
        ConfirmPlan::Unavailable => Ok(ConfirmOutcome::Unavailable),
        ConfirmPlan::AlreadySubscribed => {
            drop_pending(conn, &target.contact.id)?;
            Ok(ConfirmOutcome::AlreadySubscribed(target))
        }
        ConfirmPlan::Confirm(next) => {
            update_contact_row(conn, &target.contact, &next)?;
            drop_pending(conn, &next.id)?;
            if let Some(event) = confirmed_event(&target.contact, &next, evidence) {
                record(
                    conn,
                    &event,
                    &Actor::ConfirmationLink,
                    &evidence.as_evidence(),
                    now,
                )?;
            }
            Ok(ConfirmOutcome::Confirmed(ConfirmationTarget {
                contact: *next,
                ..target
            }))
        }
    }
}

fn expire(conn: &Connection, now: Timestamp, limit: u32) -> Result<u64, StoreError> {
    let due: Vec<PendingConfirmation> = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM confirmations WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2"
        ))?
        .query_map(params![now.millis(), i64::from(limit)], pending_from_row)?
        .collect::<Result<_, _>>()?;
    for pending in &due {
        drop_pending(conn, &pending.contact_id)?;
        if get(conn, &pending.contact_id)?.is_some() {
            record(
                conn,
                &expired_event(pending),
                &Actor::Expiry,
                &Evidence::implied_by(&Actor::Expiry),
                now,
            )?;
        }
    }
    Ok(due.len() as u64)
}

fn export(conn: &Connection) -> Result<Vec<PendingConfirmation>, StoreError> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM confirmations ORDER BY expires_at, token"
        ))?
        .query_map([], pending_from_row)?
        .collect::<Result<_, _>>()?)
}

fn import(conn: &Connection, pending: &[PendingConfirmation]) -> Result<u64, StoreError> {
    let mut stored = 0;
    for p in pending {
        stored += conn
            .prepare_cached(&format!(
                "INSERT INTO confirmations ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING"
            ))?
            .execute(params![
                p.token.as_str(),
                p.workspace_id.as_str(),
                p.contact_id.as_str(),
                p.requested_at.millis(),
                p.expires_at.millis(),
            ])? as u64;
    }
    Ok(stored)
}

#[async_trait]
impl ConfirmationStore for SqliteStore {
    async fn request_confirmations(
        &self,
        contacts: Vec<ContactId>,
        request_: ConfirmationRequest,
    ) -> Result<Vec<RequestOutcome>, StoreError> {
        self.writer
            .write(move |conn| request(conn, &contacts, &request_))
            .await
    }

    async fn update_and_ask(
        &self,
        target: Target,
        patch: ContactPatch,
        now: Timestamp,
        origin: Origin,
        ask: AskToConfirm,
    ) -> Result<(UpdateOutcome, RequestOutcome), StoreError> {
        // One closure on the writer is one transaction (or savepoint): both or neither.
        self.writer
            .write(move |conn| {
                let outcome = update(conn, &target, &patch, now, &origin)?;
                let request_ = ask.in_workspace(outcome.contact.workspace_id.clone());
                let asked = request(conn, std::slice::from_ref(&outcome.contact.id), &request_)?;
                let asked = asked.into_iter().next().unwrap_or(RequestOutcome::NotFound);
                Ok((outcome, asked))
            })
            .await
    }

    async fn upsert_and_ask(
        &self,
        workspace: WorkspaceId,
        items: Vec<BulkItem>,
        now: Timestamp,
        origin: Origin,
        ask: AskToConfirm,
    ) -> Result<(BulkOutcome, Vec<RequestOutcome>), StoreError> {
        let request_ = ask.in_workspace(workspace.clone());
        self.writer
            .write(move |conn| {
                let outcome = upsert(conn, &workspace, &items, now, &origin)?;
                let asked = asked_to_confirm(&items, &outcome.results);
                let requested = request(conn, &asked, &request_)?;
                Ok((outcome, requested))
            })
            .await
    }

    async fn pending_confirmation(
        &self,
        contact: &ContactId,
    ) -> Result<Option<PendingConfirmation>, StoreError> {
        let contact = contact.clone();
        self.readers
            .read(move |conn| pending_of(conn, &contact))
            .await
    }

    async fn find_confirmation(
        &self,
        token: &ConfirmationToken,
        now: Timestamp,
    ) -> Result<Option<ConfirmationTarget>, StoreError> {
        let token = token.clone();
        self.readers.read(move |conn| find(conn, &token, now)).await
    }

    async fn confirm(
        &self,
        token: ConfirmationToken,
        evidence: RequestEvidence,
        now: Timestamp,
    ) -> Result<ConfirmOutcome, StoreError> {
        self.writer
            .write(move |conn| confirm(conn, &token, &evidence, now))
            .await
    }

    async fn expire_confirmations(&self, now: Timestamp, limit: u32) -> Result<u64, StoreError> {
        self.writer
            .write(move |conn| expire(conn, now, limit))
            .await
    }

    async fn export_confirmations(&self) -> Result<Vec<PendingConfirmation>, StoreError> {
        self.readers.read(export).await
    }

    async fn import_confirmations(
        &self,
        pending: Vec<PendingConfirmation>,
    ) -> Result<u64, StoreError> {
        self.writer.write(move |conn| import(conn, &pending)).await
    }
}
