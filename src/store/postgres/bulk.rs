//! The bulk upsert. One transaction locks the contacts the items name, plans with
//! `domain::bulk::plan_bulk` (so every node applies the same rules) and writes the plan
//! with set-based statements. A race with another node's insert shows up as a skipped or
//! clashing row; the batch then rolls back and is planned again, whole.

use super::errors::{is_retryable, map_pg_error};
use super::events::record_changes;
use super::rows::{
    CONTACT_COLUMNS, OnConflict, contacts_from_rows, insert_contacts, update_contacts,
};
use crate::domain::bulk::{BulkItem, BulkPlan, plan_bulk, touched_keys};
use crate::domain::contact::Contact;
use crate::domain::events::Actor;
use crate::domain::ids::WorkspaceId;
use crate::domain::timestamp::Timestamp;
use crate::store::{BulkOutcome, StoreError};
use deadpool_postgres::{Client, GenericClient, Transaction};

/// Tries of a bulk upsert that keeps losing races with other nodes before it answers 503.
const BULK_ATTEMPTS: usize = 8;

/// Every contact of `workspace` an item names by id or normalised email, locked, in id
/// order (one lock order for every node, so overlapping batches do not deadlock).
async fn lock_touched_contacts(
    tx: &Transaction<'_>,
    workspace: &WorkspaceId,
    items: &[BulkItem],
) -> Result<Vec<Contact>, TryError> {
    let (ids, emails) = touched_keys(items);
    let statement = tx
        .prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = $1 \
             AND (id = ANY($2::text[]) OR email_norm = ANY($3::text[])) ORDER BY id FOR UPDATE"
        ))
        .await?;
    let rows = tx
        .query(&statement, &[&workspace.as_str(), &ids, &emails])
        .await?;
    Ok(contacts_from_rows(&rows)?)
}

/// Why one try of a bulk upsert did not finish. An email clash while writing a plan
/// means another node got there first, so it is a lost race, not an answer.
enum TryError {
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
    actor: &Actor,
) -> Result<BulkOutcome, StoreError> {
    for _ in 0..BULK_ATTEMPTS {
        match try_upsert(client, workspace, items, now, actor).await {
            Ok(plan) => {
                return Ok(BulkOutcome {
                    results: plan.results,
                });
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
    actor: &Actor,
) -> Result<BulkPlan, TryError> {
    let tx = client.transaction().await?;
    let existing = lock_touched_contacts(&tx, workspace, items).await?;
    let mut plan = plan_bulk(workspace, existing, items, now).map_err(StoreError::BulkRejected)?;
    if plan.is_noop() {
        return Ok(plan);
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
        let statement = tx
            .prepare_cached(
                "UPDATE contacts SET email_norm = chr(1) || id WHERE id = ANY($1::text[])",
            )
            .await?;
        tx.execute(&statement, &[&moving]).await?;
    }
    let updated: Vec<&Contact> = plan.updates.iter().map(|(_, after)| after).collect();
    update_contacts(&tx, &updated).await?;
    // One insert order for every node, so two batches sharing new emails cannot deadlock.
    plan.creates
        .sort_by(|a, b| a.email.normalized().cmp(b.email.normalized()));
    let inserted = insert_contacts(&tx, &plan.creates, OnConflict::SkipEmailClash).await?;
    if inserted != plan.creates.len() as u64 {
        // Another node created one of these emails after we looked: plan again.
        return Err(TryError::LostRace);
    }
    let changes: Vec<(Option<&Contact>, Option<&Contact>)> = plan
        .changes_in_item_order()
        .into_iter()
        .map(|(before, after)| (before, Some(after)))
        .collect();
    record_changes(&tx, &changes, actor, now).await?;
    tx.commit().await?;
    Ok(plan)
}
