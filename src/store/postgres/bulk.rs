//! The bulk upsert. One transaction locks the contacts the items name, plans with
//! `domain::bulk::plan_bulk_with` under the suppressions of the addresses it names (so every
//! node applies the same rules) and writes the plan
//! with set-based statements (and, for `"confirm": true`, the requests to confirm, in the
//! same transaction). A race with another node's insert shows up as a skipped or
//! clashing row; the batch then rolls back and is planned again, whole.

use super::confirmations::request_in;
use super::errors::{is_retryable, map_pg_error};
use super::events::record_changes;
use super::rows::{
    CONTACT_COLUMNS, OnConflict, contacts_from_rows, insert_contacts, update_contacts,
};
use super::statements::Sql;
use super::suppressions::{suppressions_of, write_lifts};
use crate::domain::bulk::{BulkItem, BulkPlan, plan_bulk_with, touched_keys};
use crate::domain::confirmation::asked_to_confirm;
use crate::domain::contact::Contact;
use crate::domain::error::DomainError;
use crate::domain::events::Actor;
use crate::domain::evidence::{Origin, WriteEvidence};
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::store::{BulkOutcome, ConfirmationRequest, RequestOutcome, StoreError};
use deadpool_postgres::{Client, Transaction};

/// Tries of a bulk upsert that keeps losing races with other nodes before it answers 503.
pub(super) const BULK_ATTEMPTS: usize = 8;

/// Every contact of `workspace` an item names by id or normalised email, locked, in id
/// order (one lock order for every node, so overlapping batches do not deadlock).
async fn lock_touched_contacts(
    tx: &Transaction<'_>,
    workspace: &WorkspaceId,
    items: &[BulkItem],
) -> Result<Vec<Contact>, TryError> {
    let (ids, emails) = touched_keys(items);
    let rows = tx
        .rows(
            &format!(
                "SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = $1 \
                 AND (id = ANY($2::text[]) OR email_norm = ANY($3::text[])) ORDER BY id FOR UPDATE"
            ),
            &[&workspace.as_str(), &ids, &emails],
        )
        .await?;
    Ok(contacts_from_rows(&rows)?)
}

/// Why one try of a bulk upsert did not finish. An email clash while writing a plan
/// means another node got there first, so it is a lost race, not an answer.
pub(super) enum TryError {
    /// Another node wrote one of our emails meanwhile; start again.
    LostRace,
    /// A real answer.
    Store(StoreError),
}

impl From<tokio_postgres::Error> for TryError {
    fn from(e: tokio_postgres::Error) -> TryError {
        if is_retryable(&e) {
            TryError::LostRace
        } else {
            TryError::Store(map_pg_error(e))
        }
    }
}

impl From<StoreError> for TryError {
    fn from(e: StoreError) -> TryError {
        TryError::Store(e)
    }
}

pub async fn upsert(
    client: &mut Client,
    workspace: &WorkspaceId,
    items: &[BulkItem],
    now: Timestamp,
    origin: &Origin,
) -> Result<BulkOutcome, StoreError> {
    let (outcome, _) = upsert_asking(client, workspace, items, now, origin, None).await?;
    Ok(outcome)
}

/// The bulk upsert and, when `ask` is given, in the same transaction a request to
/// confirm each applied item that carries `"confirm": true` (their outcomes in the order
/// of the results).
pub(super) async fn upsert_asking(
    client: &mut Client,
    workspace: &WorkspaceId,
    items: &[BulkItem],
    now: Timestamp,
    origin: &Origin,
    ask: Option<&ConfirmationRequest>,
) -> Result<(BulkOutcome, Vec<RequestOutcome>), StoreError> {
    for _ in 0..BULK_ATTEMPTS {
        match try_upsert(client, workspace, items, now, origin, ask).await {
            Ok((plan, requested)) => {
                let outcome = BulkOutcome {
                    results: plan.results,
                    refused: plan.refused,
                };
                return Ok((outcome, requested));
            }
            Err(TryError::LostRace) => continue,
            Err(TryError::Store(e)) => return Err(e),
        }
    }
    Err(StoreError::Unavailable(
        "bulk upsert kept colliding with concurrent writes".to_owned(),
    ))
}

async fn try_upsert(
    client: &mut Client,
    workspace: &WorkspaceId,
    items: &[BulkItem],
    now: Timestamp,
    origin: &Origin,
    ask: Option<&ConfirmationRequest>,
) -> Result<(BulkPlan, Vec<RequestOutcome>), TryError> {
    let tx = client.transaction().await?;
    let existing = lock_touched_contacts(&tx, workspace, items).await?;
    let (_, mut emails) = touched_keys(items);
    emails.extend(existing.iter().map(|c| c.email.normalized()));
    let suppressions = suppressions_of(&tx, workspace, &emails).await?;
    let mut plan = plan_bulk_with(workspace, existing, suppressions, items, now)
        .map_err(|items| StoreError::from(DomainError::BulkRejected(items)))?;
    let results = plan.results.clone();
    let evidence = WriteEvidence::for_bulk(&origin.evidence, items, &results);
    write_plan(&tx, &mut plan, &origin.actor, &evidence, now).await?;
    let requested = match ask {
        Some(request) => request_in(&tx, &asked_to_confirm(items, &results), request).await?,
        None => Vec::new(),
    };
    tx.commit().await?;
    Ok((plan, requested))
}

/// Writes a bulk (or import) plan with its events in `tx`.
pub(super) async fn write_plan(
    tx: &Transaction<'_>,
    plan: &mut BulkPlan,
    actor: &Actor,
    evidence: &WriteEvidence<'_>,
    now: Timestamp,
) -> Result<(), TryError> {
    if plan.is_noop() {
        return Ok(());
    }
    // Emails may move between contacts (a swap); park the moving ones first so the
    // unique index never sees two rows with one email midway.
    let moving: Vec<&str> = plan
        .updates
        .iter()
        .filter(|(before, after)| before.email.normalized() != after.email.normalized())
        .map(|(before, _)| before.id.as_str())
        .collect();
    if !moving.is_empty() {
        tx.run(
            "UPDATE contacts SET email_norm = chr(1) || id WHERE id = ANY($1::text[])",
            &[&moving],
        )
        .await?;
    }
    let updated: Vec<&Contact> = plan.updates.iter().map(|(_, after)| after).collect();
    update_contacts(tx, &updated).await?;
    // One insert order for every node, so two batches sharing new emails cannot deadlock.
    plan.creates
        .sort_by(|a, b| a.email.normalized().cmp(b.email.normalized()));
    let inserted = insert_contacts(tx, &plan.creates, OnConflict::SkipEmailClash).await?;
    if inserted != plan.creates.len() as u64 {
        // Another node created one of these emails after we looked: plan again.
        return Err(TryError::LostRace);
    }
    for lift in &plan.lifts {
        let lift_evidence = evidence.of(&lift.contact_id);
        write_lifts(tx, std::slice::from_ref(lift), actor, &lift_evidence, now).await?;
    }
    let changes: Vec<(Option<&Contact>, Option<&Contact>)> = plan
        .changes_in_item_order()
        .into_iter()
        .map(|(before, after)| (before, Some(after)))
        .collect();
    record_changes(tx, &changes, actor, evidence, now).await?;
    Ok(())
}
