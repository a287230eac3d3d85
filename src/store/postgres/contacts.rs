//! Contact reads and writes. Writes lock the rows they plan over (`FOR UPDATE`) and take
//! their rules from `domain::bulk`, so every node applies the same ones; a race with
//! another node's insert shows up as a skipped or clashing row and is retried whole.

use super::errors::{is_retryable, map_pg_error};
use super::rows::{
    CONTACT_COLUMNS, OnConflict, contact_from_row, contacts_from_rows, insert_contacts,
    update_contacts,
};
use crate::domain::api_key::WorkspaceGrant;
use crate::domain::bulk::{BulkItem, BulkPlan, UpdateError, plan_bulk, plan_update};
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::{
    BulkOutcome, ContactPage, ContactQuery, DeleteScope, StoreError, UpdateOutcome,
};
use deadpool_postgres::{Client, GenericClient, Transaction};
use tokio_postgres::IsolationLevel;
use tokio_postgres::types::ToSql;

/// Tries of a bulk upsert that keeps losing races with other nodes before it answers 503.
const BULK_ATTEMPTS: usize = 8;

pub async fn get(client: &Client, id: &ContactId) -> Result<Option<Contact>, StoreError> {
    let statement = client
        .prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1"
        ))
        .await?;
    match client.query_opt(&statement, &[&id.as_str()]).await? {
        Some(row) => Ok(Some(contact_from_row(&row)?)),
        None => Ok(None),
    }
}

pub async fn update(
    client: &mut Client,
    id: &ContactId,
    grant: &WorkspaceGrant,
    patch: &ContactPatch,
    now: Timestamp,
) -> Result<UpdateOutcome, StoreError> {
    let tx = client.transaction().await?;
    let statement = tx
        .prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1 FOR UPDATE"
        ))
        .await?;
    let current = match tx.query_opt(&statement, &[&id.as_str()]).await? {
        Some(row) => contact_from_row(&row)?,
        None => return Err(StoreError::ContactNotFound),
    };
    if !grant.includes(&current.workspace_id) {
        return Err(StoreError::ContactNotFound);
    }
    let holder = match &patch.email {
        Some(email) => {
            let statement = tx
                .prepare_cached(
                    "SELECT id FROM contacts WHERE workspace_id = $1 AND email_norm = $2",
                )
                .await?;
            tx.query_opt(
                &statement,
                &[&current.workspace_id.as_str(), &email.normalized()],
            )
            .await?
            .map(|row| row.try_get::<_, String>(0).map(ContactId::from_stored))
            .transpose()?
        }
        None => None,
    };
    match plan_update(&current, holder.as_ref(), patch, now) {
        Ok(Some(next)) => {
            // A clash with an email another node just took maps to EmailTaken.
            update_contacts(&tx, &[&next]).await?;
            tx.commit().await?;
            Ok(UpdateOutcome {
                contact: next,
                changed: true,
            })
        }
        Ok(None) => Ok(UpdateOutcome {
            contact: current,
            changed: false,
        }),
        Err(UpdateError::EmailTaken) => Err(StoreError::EmailTaken),
        Err(UpdateError::CustomFields(e)) => Err(StoreError::InvalidCustomFields(e)),
    }
}

/// Every contact of `workspace` an item names by id or normalised email, locked, in id
/// order (one lock order for every node, so overlapping batches do not deadlock).
async fn lock_touched_contacts(
    tx: &Transaction<'_>,
    workspace: &WorkspaceId,
    items: &[BulkItem],
) -> Result<Vec<Contact>, TryError> {
    let ids: Vec<&str> = items
        .iter()
        .filter_map(|i| i.id.as_ref().map(ContactId::as_str))
        .collect();
    let emails: Vec<&str> = items
        .iter()
        .filter_map(|i| i.patch.email.as_ref().map(|e| e.normalized()))
        .collect();
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
) -> Result<BulkOutcome, StoreError> {
    for _ in 0..BULK_ATTEMPTS {
        match try_upsert(client, workspace, items, now).await {
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
    tx.commit().await?;
    Ok(plan)
}

pub async fn list(client: &mut Client, query: &ContactQuery) -> Result<ContactPage, StoreError> {
    // PostgreSQL text cannot hold NUL, so such an email matches nothing.
    if query.email.as_deref().is_some_and(|e| e.contains('\0')) {
        return Ok(ContactPage {
            contacts: Vec::new(),
            total: 0,
        });
    }
    let workspace = query.workspace.as_str();
    let mut filter = String::from("workspace_id = $1");
    let mut args: Vec<&(dyn ToSql + Sync)> = vec![&workspace];
    if let Some(email) = &query.email {
        args.push(email);
        filter.push_str(&format!(" AND email_norm = ${}", args.len()));
    }
    if let Some(subscribed) = &query.subscribed {
        args.push(subscribed);
        filter.push_str(&format!(" AND subscribed = ${}", args.len()));
    }
    // One snapshot for the count and the page, so they agree.
    let tx = client
        .build_transaction()
        .isolation_level(IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let statement = tx
        .prepare_cached(&format!("SELECT COUNT(*) FROM contacts WHERE {filter}"))
        .await?;
    let total: i64 = tx.query_one(&statement, &args).await?.try_get(0)?;
    let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
    let contacts = if offset >= total {
        Vec::new()
    } else {
        let limit = i64::from(query.limit);
        args.push(&limit);
        args.push(&offset);
        let statement = tx
            .prepare_cached(&format!(
                "SELECT {CONTACT_COLUMNS} FROM contacts WHERE {filter} ORDER BY created_at, id \
                 LIMIT ${} OFFSET ${}",
                args.len() - 1,
                args.len()
            ))
            .await?;
        contacts_from_rows(&tx.query(&statement, &args).await?)?
    };
    tx.commit().await?;
    Ok(ContactPage {
        contacts,
        total: u64::try_from(total).unwrap_or(0),
    })
}

pub async fn delete_one(
    client: &Client,
    id: &ContactId,
    grant: &WorkspaceGrant,
) -> Result<bool, StoreError> {
    let removed = match grant {
        WorkspaceGrant::All => {
            let statement = client
                .prepare_cached("DELETE FROM contacts WHERE id = $1")
                .await?;
            client.execute(&statement, &[&id.as_str()]).await?
        }
        WorkspaceGrant::Listed(list) => {
            let workspaces: Vec<&str> = list.iter().map(WorkspaceId::as_str).collect();
            let statement = client
                .prepare_cached(
                    "DELETE FROM contacts WHERE id = $1 AND workspace_id = ANY($2::text[])",
                )
                .await?;
            client
                .execute(&statement, &[&id.as_str(), &workspaces])
                .await?
        }
    };
    Ok(removed == 1)
}

pub async fn delete_many(
    client: &Client,
    workspace: &WorkspaceId,
    scope: DeleteScope,
) -> Result<u64, StoreError> {
    let sql = match scope {
        DeleteScope::UnsubscribedOnly => {
            "DELETE FROM contacts WHERE workspace_id = $1 AND NOT subscribed"
        }
        DeleteScope::Everyone => "DELETE FROM contacts WHERE workspace_id = $1",
    };
    let statement = client.prepare_cached(sql).await?;
    Ok(client.execute(&statement, &[&workspace.as_str()]).await?)
}

/// Up to `limit` contacts of a workspace after `after`, in (createdAt, id) order.
pub async fn export(
    client: &Client,
    workspace: &WorkspaceId,
    after: Option<(Timestamp, ContactId)>,
    limit: u32,
) -> Result<Vec<Contact>, StoreError> {
    let (created, id) = match &after {
        Some((t, id)) => (t.millis(), id.as_str()),
        None => (i64::MIN, ""),
    };
    let statement = client
        .prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = $1 \
             AND (created_at, id) > ($2, $3) ORDER BY created_at, id LIMIT $4"
        ))
        .await?;
    let rows = client
        .query(
            &statement,
            &[&workspace.as_str(), &created, &id, &i64::from(limit)],
        )
        .await?;
    contacts_from_rows(&rows)
}
