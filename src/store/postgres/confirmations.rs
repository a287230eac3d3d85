//! [`ConfirmationStore`] on PostgreSQL: pending confirmations in `confirmations`, each
//! step planned by `domain::confirmation` and written with its event in one transaction.
//!
//! Locks are taken contact row first, then its `confirmations` row, in every step (as
//! every contact write does), so steps on one contact queue instead of deadlocking, and
//! the contact's events stay in commit order (`events` says why that needs the row lock).

use super::PostgresStore;
use super::bulk;
use super::contacts::{lock, update_in};
use super::events::record_events;
use super::rows::update_contacts;
use super::statements::Sql;
use crate::domain::bulk::BulkItem;
use crate::domain::confirmation::{
    ConfirmPlan, ConfirmationToken, PendingConfirmation, RequestEvidence, RequestPlan,
    confirmation_url, confirmed_event, expired_event, plan_confirmation, plan_request,
    requested_event,
};
use crate::domain::contact::ContactPatch;
use crate::domain::events::Actor;
use crate::domain::evidence::{Evidence, Origin, WriteEvidence};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::target::Target;
use crate::domain::timestamp::Timestamp;
use crate::store::{
    AskToConfirm, BulkOutcome, ConfirmOutcome, ConfirmationRequest, ConfirmationStore,
    ConfirmationTarget, RequestOutcome, StoreError, UpdateOutcome,
};
use async_trait::async_trait;
use deadpool_postgres::{Client, Transaction};
use tokio_postgres::Row;

const COLUMNS: &str = "token, workspace_id, contact_id, requested_at, expires_at";

fn pending_from_row(r: &Row) -> Result<PendingConfirmation, StoreError> {
    Ok(PendingConfirmation {
        token: ConfirmationToken::from_stored(r.try_get(0)?),
        workspace_id: WorkspaceId::from_stored(r.try_get(1)?),
        contact_id: ContactId::from_stored(r.try_get(2)?),
        requested_at: Timestamp::from_millis(r.try_get(3)?),
        expires_at: Timestamp::from_millis(r.try_get(4)?),
    })
}

async fn pending_where(
    client: &impl Sql,
    condition: &str,
    value: &str,
) -> Result<Option<PendingConfirmation>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM confirmations WHERE {condition} = $1");
    match client.row_opt(&sql, &[&value]).await? {
        Some(row) => Ok(Some(pending_from_row(&row)?)),
        None => Ok(None),
    }
}

async fn save(client: &impl Sql, p: &PendingConfirmation) -> Result<(), StoreError> {
    client
        .run(
            "INSERT INTO confirmations (token, workspace_id, contact_id, requested_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (contact_id) DO UPDATE SET \
             token = excluded.token, requested_at = excluded.requested_at, expires_at = excluded.expires_at",
            &[
                &p.token.as_str(),
                &p.workspace_id.as_str(),
                &p.contact_id.as_str(),
                &p.requested_at.millis(),
                &p.expires_at.millis(),
            ],
        )
        .await?;
    Ok(())
}

async fn drop_pending(client: &impl Sql, contact: &ContactId) -> Result<(), StoreError> {
    client
        .run(
            "DELETE FROM confirmations WHERE contact_id = $1",
            &[&contact.as_str()],
        )
        .await?;
    Ok(())
}

async fn request(
    client: &mut Client,
    ids: &[ContactId],
    req: &ConfirmationRequest,
) -> Result<Vec<RequestOutcome>, StoreError> {
    let tx = client.transaction().await?;
    let outcomes = request_in(&tx, ids, req).await?;
    tx.commit().await?;
    Ok(outcomes)
}

/// Asks `ids` to confirm inside `tx`, which the caller commits (after the write that
/// asked, for `"confirm": true`).
pub(super) async fn request_in(
    tx: &Transaction<'_>,
    ids: &[ContactId],
    req: &ConfirmationRequest,
) -> Result<Vec<RequestOutcome>, StoreError> {
    let mut outcomes = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(contact) = lock(tx, id)
            .await?
            .filter(|c| c.workspace_id == req.workspace)
        else {
            outcomes.push(RequestOutcome::NotFound);
            continue;
        };
        let pending = pending_where(tx, "contact_id", id.as_str()).await?;
        match plan_request(&contact, pending.as_ref(), req.now, req.ttl_millis) {
            RequestPlan::AlreadySubscribed => outcomes.push(RequestOutcome::AlreadySubscribed),
            RequestPlan::Issue(next) => {
                save(tx, &next).await?;
                let url = confirmation_url(&req.public_base, &next.token);
                let event = requested_event(&next, &url, &req.evidence);
                record_events(
                    tx,
                    &[event],
                    &req.actor,
                    &WriteEvidence::same_for_all(&req.evidence.as_evidence()),
                    req.now,
                )
                .await?;
                outcomes.push(RequestOutcome::Requested(next));
            }
        }
    }
    Ok(outcomes)
}

async fn workspace_name(client: &impl Sql, id: &WorkspaceId) -> Result<String, StoreError> {
    let row = client
        .row("SELECT name FROM workspaces WHERE id = $1", &[&id.as_str()])
        .await?;
    Ok(row.try_get(0)?)
}

async fn find(
    client: &Client,
    token: &ConfirmationToken,
    now: Timestamp,
) -> Result<Option<ConfirmationTarget>, StoreError> {
    let Some(pending) = pending_where(client, "token", token.as_str())
        .await?
        .filter(|p| p.is_live(now))
    else {
        return Ok(None);
    };
    let sql = format!(
        "SELECT {} FROM contacts WHERE id = $1",
        super::rows::CONTACT_COLUMNS
    );
    let Some(row) = client
        .row_opt(&sql, &[&pending.contact_id.as_str()])
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(ConfirmationTarget {
        contact: super::rows::contact_from_row(&row)?,
        workspace_name: workspace_name(client, &pending.workspace_id).await?,
        pending,
    }))
}

async fn confirm(
    client: &mut Client,
    token: &ConfirmationToken,
    evidence: &RequestEvidence,
    now: Timestamp,
) -> Result<ConfirmOutcome, StoreError> {
    let tx = client.transaction().await?;
    let Some(first) = pending_where(&tx, "token", token.as_str()).await? else {
        return Ok(ConfirmOutcome::Unavailable);
    };
    let Some(contact) = lock(&tx, &first.contact_id).await? else {
        return Ok(ConfirmOutcome::Unavailable);
    };
    // Read again under the contact's lock: another step may have moved or removed it.
    let Some(pending) = pending_where(&tx, "token", token.as_str()).await? else {
        return Ok(ConfirmOutcome::Unavailable);
    };
    let target = ConfirmationTarget {
        workspace_name: workspace_name(&tx, &pending.workspace_id).await?,
        contact,
        pending,
    };
    // A suppressed address is not subscribed by a link (docs/consent.md, "Suppression").
    let email = [target.contact.email.normalized()];
    let suppressed =
        super::suppressions::suppressions_of(&tx, &target.contact.workspace_id, &email).await?;
    if !suppressed.is_empty() {
        return Ok(ConfirmOutcome::Unavailable);
    }
    let outcome = match plan_confirmation(&target.contact, &target.pending, now)? {
        ConfirmPlan::Unavailable => return Ok(ConfirmOutcome::Unavailable),
        ConfirmPlan::AlreadySubscribed => {
            drop_pending(&tx, &target.contact.id).await?;
            ConfirmOutcome::AlreadySubscribed(target)
        }
        ConfirmPlan::Confirm(next) => {
            update_contacts(&tx, &[&next]).await?;
            drop_pending(&tx, &next.id).await?;
            if let Some(event) = confirmed_event(&target.contact, &next, evidence) {
                record_events(
                    &tx,
                    &[event],
                    &Actor::ConfirmationLink,
                    &WriteEvidence::same_for_all(&evidence.as_evidence()),
                    now,
                )
                .await?;
            }
            ConfirmOutcome::Confirmed(ConfirmationTarget {
                contact: *next,
                ..target
            })
        }
    };
    tx.commit().await?;
    Ok(outcome)
}

async fn expire(client: &mut Client, now: Timestamp, limit: u32) -> Result<u64, StoreError> {
    let due = client
        .rows(
            "SELECT contact_id FROM confirmations WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2",
            &[&now.millis(), &i64::from(limit)],
        )
        .await?;
    let mut removed = 0;
    for row in due {
        let contact = ContactId::from_stored(row.try_get(0)?);
        let tx = client.transaction().await?;
        let exists = lock(&tx, &contact).await?.is_some();
        // Deleted here, under the contact's lock: a node that got there first leaves nothing.
        let gone = tx
            .row_opt(
                &format!(
                    "DELETE FROM confirmations WHERE contact_id = $1 AND expires_at <= $2 RETURNING {COLUMNS}"
                ),
                &[&contact.as_str(), &now.millis()],
            )
            .await?;
        if let Some(row) = gone {
            removed += 1;
            if exists {
                let pending = pending_from_row(&row)?;
                record_events(
                    &tx,
                    &[expired_event(&pending)],
                    &Actor::Expiry,
                    &WriteEvidence::same_for_all(&Evidence::implied_by(&Actor::Expiry)),
                    now,
                )
                .await?;
            }
        }
        tx.commit().await?;
    }
    Ok(removed)
}

#[async_trait]
impl ConfirmationStore for PostgresStore {
    async fn request_confirmations(
        &self,
        contacts: Vec<ContactId>,
        request_: ConfirmationRequest,
    ) -> Result<Vec<RequestOutcome>, StoreError> {
        self.timed_write(async { request(&mut self.client().await?, &contacts, &request_).await })
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
        // Not through the PUT batcher: the write and its request share one transaction.
        self.timed_write(async {
            let mut client = self.client().await?;
            let tx = client.transaction().await?;
            let outcome = update_in(&tx, &target, &patch, now, &origin).await?;
            let request_ = ask.in_workspace(outcome.contact.workspace_id.clone());
            let asked = request_in(&tx, std::slice::from_ref(&outcome.contact.id), &request_)
                .await?
                .into_iter()
                .next()
                .unwrap_or(RequestOutcome::NotFound);
            tx.commit().await?;
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
        self.timed_write(async {
            let mut client = self.client().await?;
            bulk::upsert_asking(
                &mut client,
                &workspace,
                &items,
                now,
                &origin,
                Some(&request_),
            )
            .await
        })
        .await
    }

    async fn pending_confirmation(
        &self,
        contact: &ContactId,
    ) -> Result<Option<PendingConfirmation>, StoreError> {
        self.timed(async {
            pending_where(&self.client().await?, "contact_id", contact.as_str()).await
        })
        .await
    }

    async fn find_confirmation(
        &self,
        token: &ConfirmationToken,
        now: Timestamp,
    ) -> Result<Option<ConfirmationTarget>, StoreError> {
        self.timed(async { find(&self.client().await?, token, now).await })
            .await
    }

    async fn confirm(
        &self,
        token: ConfirmationToken,
        evidence: RequestEvidence,
        now: Timestamp,
    ) -> Result<ConfirmOutcome, StoreError> {
        self.timed_write(async { confirm(&mut self.client().await?, &token, &evidence, now).await })
            .await
    }

    async fn expire_confirmations(&self, now: Timestamp, limit: u32) -> Result<u64, StoreError> {
        self.timed_write(async { expire(&mut self.client().await?, now, limit).await })
            .await
    }

    async fn export_confirmations(&self) -> Result<Vec<PendingConfirmation>, StoreError> {
        self.timed(async {
            let sql = format!("SELECT {COLUMNS} FROM confirmations ORDER BY expires_at, token");
            let rows = self.client().await?.rows(&sql, &[]).await?;
            rows.iter().map(pending_from_row).collect()
        })
        .await
    }

    async fn import_confirmations(
        &self,
        pending: Vec<PendingConfirmation>,
    ) -> Result<u64, StoreError> {
        self.timed_write(async {
            let client = self.client().await?;
            let mut stored = 0;
            for p in &pending {
                stored += client
                    .run(
                        &format!(
                            "INSERT INTO confirmations ({COLUMNS}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
                        ),
                        &[
                            &p.token.as_str(),
                            &p.workspace_id.as_str(),
                            &p.contact_id.as_str(),
                            &p.requested_at.millis(),
                            &p.expires_at.millis(),
                        ],
                    )
                    .await?;
            }
            Ok(stored)
        })
        .await
    }
}
