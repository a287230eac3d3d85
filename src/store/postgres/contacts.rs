//! Contact reads, the single-contact update and deletes. The update locks its row
//! (`FOR UPDATE`) and takes its rule from `domain::bulk::plan_update`.

use super::rows::{CONTACT_COLUMNS, contact_from_row, contacts_from_rows, update_contacts};
use crate::domain::api_key::WorkspaceGrant;
use crate::domain::bulk::{UpdateError, plan_update};
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::{ContactPage, ContactQuery, DeleteScope, StoreError, UpdateOutcome};
use deadpool_postgres::{Client, GenericClient};
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
