//! Contact reads, the single-contact update and deletes. The update locks its row
//! (`FOR UPDATE`) and takes its rule from `domain::bulk::plan_update`.

use super::events::{deleted_in_list_order, record_changes, returning_contact};
use super::rows::{CONTACT_COLUMNS, contact_from_row, contacts_from_rows, update_contacts};
use crate::domain::api_key::WorkspaceGrant;
use crate::domain::bulk::plan_update;
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::events::Actor;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::{
    ContactPage, ContactQuery, DeleteScope, Precondition, StoreError, UpdateOutcome,
};
use deadpool_postgres::{Client, GenericClient, Transaction};
use tokio_postgres::IsolationLevel;
use tokio_postgres::types::ToSql;

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

/// What a single-contact write is about: the contact, who may touch it, on what condition.
pub struct Target<'a> {
    pub id: &'a ContactId,
    pub grant: &'a WorkspaceGrant,
    pub precondition: &'a Precondition,
}

/// The contact a write is about, locked, if the caller may touch it and it meets the condition.
async fn lock_target(tx: &Transaction<'_>, target: &Target<'_>) -> Result<Contact, StoreError> {
    let statement = tx
        .prepare_cached(&format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1 FOR UPDATE"
        ))
        .await?;
    let current = match tx.query_opt(&statement, &[&target.id.as_str()]).await? {
        Some(row) => contact_from_row(&row)?,
        None => return Err(StoreError::ContactNotFound),
    };
    if !target.grant.includes(&current.workspace_id) {
        return Err(StoreError::ContactNotFound);
    }
    if !target.precondition.allows(current.version) {
        return Err(StoreError::PreconditionFailed);
    }
    Ok(current)
}

pub async fn update(
    client: &mut Client,
    target: &Target<'_>,
    patch: &ContactPatch,
    now: Timestamp,
    actor: &Actor,
) -> Result<UpdateOutcome, StoreError> {
    let tx = client.transaction().await?;
    let current = lock_target(&tx, target).await?;
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
            record_changes(&tx, &[(Some(&current), Some(&next))], actor, now).await?;
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
        Err(e) => Err(e.into()),
    }
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
    client: &mut Client,
    target: &Target<'_>,
    now: Timestamp,
    actor: &Actor,
) -> Result<bool, StoreError> {
    let tx = client.transaction().await?;
    let contact = match lock_target(&tx, target).await {
        Ok(contact) => contact,
        Err(StoreError::ContactNotFound) => return Ok(false),
        Err(e) => return Err(e),
    };
    let statement = tx
        .prepare_cached("DELETE FROM contacts WHERE id = $1")
        .await?;
    let removed = tx.execute(&statement, &[&contact.id.as_str()]).await?;
    record_changes(&tx, &[(Some(&contact), None)], actor, now).await?;
    tx.commit().await?;
    Ok(removed == 1)
}

/// Deletes in one statement and records a `deleted` event per contact, in list order.
pub async fn delete_many(
    client: &mut Client,
    workspace: &WorkspaceId,
    scope: DeleteScope,
    now: Timestamp,
    actor: &Actor,
) -> Result<u64, StoreError> {
    let filter = match scope {
        DeleteScope::UnsubscribedOnly => "workspace_id = $1 AND NOT subscribed",
        DeleteScope::Everyone => "workspace_id = $1",
    };
    let tx = client.transaction().await?;
    let statement = tx
        .prepare_cached(&format!(
            "DELETE FROM contacts WHERE {filter} {}",
            returning_contact()
        ))
        .await?;
    let rows = tx.query(&statement, &[&workspace.as_str()]).await?;
    let removed = deleted_in_list_order(&rows)?;
    let changes: Vec<(Option<&Contact>, Option<&Contact>)> =
        removed.iter().map(|c| (Some(c), None)).collect();
    record_changes(&tx, &changes, actor, now).await?;
    tx.commit().await?;
    Ok(removed.len() as u64)
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
