//! [`ContactStore`] on PostgreSQL: reads, the single-contact update and deletes (the
//! bulk upsert is in `bulk`; PUTs are batched by `batcher` unless batching is off). A write locks its row (`FOR UPDATE`), fetches what the
//! domain's planners need (`domain::target`) and writes what they return. A list's total
//! comes from the appended counts (`contact_counts`).

use super::PostgresStore;
use super::bulk;
use super::contact_counts::{FOLD_AFTER, counted_total};
use super::events::{deleted_in_list_order, record_changes, returning_contact};
use super::rows::{CONTACT_COLUMNS, contact_from_row, contacts_from_rows, update_contacts};
use super::statements::Sql;
use super::suppressions::{suppressions_of, write_lifts};
use super::write_batch::PutJob;
use crate::domain::api_key::WorkspaceGrant;
use crate::domain::bulk::BulkItem;
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::error::DomainError;
use crate::domain::evidence::{Origin, WriteEvidence};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::suppression::{could_refuse, lift_for};
use crate::domain::target::{Target, email_to_look_up, plan_update, visible_to};
use crate::domain::timestamp::Timestamp;
use crate::store::{
    BulkOutcome, ContactPage, ContactQuery, ContactStore, DeleteScope, StoreError, UpdateOutcome,
};
use async_trait::async_trait;
use deadpool_postgres::{Client, Transaction};
use tokio_postgres::IsolationLevel;
use tokio_postgres::types::ToSql;

/// The contact stored under `id`, in any workspace (the domain checks the grant).
async fn get(client: &Client, id: &ContactId) -> Result<Option<Contact>, StoreError> {
    let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1");
    match client.row_opt(&sql, &[&id.as_str()]).await? {
        Some(row) => Ok(Some(contact_from_row(&row)?)),
        None => Ok(None),
    }
}

/// The contact stored under `id`, locked to the end of the transaction (the domain then
/// decides whether the write may touch it).
pub(super) async fn lock(
    tx: &Transaction<'_>,
    id: &ContactId,
) -> Result<Option<Contact>, StoreError> {
    let sql = format!("SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = $1 FOR UPDATE");
    match tx.row_opt(&sql, &[&id.as_str()]).await? {
        Some(row) => Ok(Some(contact_from_row(&row)?)),
        None => Ok(None),
    }
}

/// The contact of `workspace` holding the normalised email, if any.
pub(super) async fn email_holder(
    tx: &Transaction<'_>,
    workspace: &WorkspaceId,
    email_norm: &str,
) -> Result<Option<ContactId>, StoreError> {
    let row = tx
        .row_opt(
            "SELECT id FROM contacts WHERE workspace_id = $1 AND email_norm = $2",
            &[&workspace.as_str(), &email_norm],
        )
        .await?;
    Ok(row
        .map(|row| row.try_get::<_, String>(0).map(ContactId::from_stored))
        .transpose()?)
}

async fn update(
    client: &mut Client,
    target: &Target,
    patch: &ContactPatch,
    now: Timestamp,
    origin: &Origin,
) -> Result<UpdateOutcome, StoreError> {
    let tx = client.transaction().await?;
    let outcome = update_in(&tx, target, patch, now, origin).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// The single-contact update inside `tx`, which the caller commits.
pub(super) async fn update_in(
    tx: &Transaction<'_>,
    target: &Target,
    patch: &ContactPatch,
    now: Timestamp,
    origin: &Origin,
) -> Result<UpdateOutcome, StoreError> {
    let current = target.admit(lock(tx, &target.id).await?)?;
    let holder = match email_to_look_up(&current, patch) {
        Some(email) => email_holder(tx, &current.workspace_id, email).await?,
        None => None,
    };
    let Some(next) = plan_update(&current, holder.as_ref(), patch, now)? else {
        return Ok(UpdateOutcome {
            contact: current,
            changed: false,
        });
    };
    let suppression = if could_refuse(Some(&current), &next) {
        suppressions_of(tx, &current.workspace_id, &[next.email.normalized()])
            .await?
            .into_values()
            .next()
    } else {
        None
    };
    let lift = lift_for(
        Some(&current),
        &next,
        suppression,
        patch.override_suppression,
    )
    .map_err(|refused| DomainError::Suppressed(refused.0))?;
    // A clash with an email another node just took maps to EmailTaken.
    update_contacts(tx, &[&next]).await?;
    if let Some(lift) = lift {
        write_lifts(tx, &[lift], &origin.actor, &origin.evidence, now).await?;
    }
    record_changes(
        tx,
        &[(Some(&current), Some(&next))],
        &origin.actor,
        &WriteEvidence::same_for_all(&origin.evidence),
        now,
    )
    .await?;
    Ok(UpdateOutcome {
        contact: next,
        changed: true,
    })
}

/// One page and its total, and how many rows of the appended counts were summed for it
/// (`contact_counts`; 0 when the query counted by email).
pub(super) async fn list(
    client: &mut Client,
    query: &ContactQuery,
) -> Result<(ContactPage, i64), StoreError> {
    // PostgreSQL text cannot hold NUL, so such an email matches nothing.
    if query.email.as_deref().is_some_and(|e| e.contains('\0')) {
        let nothing = ContactPage {
            contacts: Vec::new(),
            total: 0,
        };
        return Ok((nothing, 0));
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
    // An email matches at most one contact: its indexed COUNT is one probe.
    let (total, count_rows): (i64, i64) = if query.email.is_some() {
        let sql = format!("SELECT COUNT(*) FROM contacts WHERE {filter}");
        (tx.row(&sql, &args).await?.try_get(0)?, 0)
    } else {
        counted_total(&tx, query).await?
    };
    let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
    // A keyset page (`after`) bounds the page, not the count: one seek into the list index.
    let after = query
        .after
        .as_ref()
        .map(|c| (c.created_at.millis(), c.id.as_str()));
    if let Some((millis, id)) = &after {
        args.push(millis);
        args.push(id);
        filter.push_str(&format!(
            " AND (created_at, id) > (${}, ${})",
            args.len() - 1,
            args.len()
        ));
    }
    let contacts = if offset >= total {
        Vec::new()
    } else {
        let limit = i64::from(query.limit);
        args.push(&limit);
        args.push(&offset);
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE {filter} ORDER BY created_at, id \
             LIMIT ${} OFFSET ${}",
            args.len() - 1,
            args.len()
        );
        contacts_from_rows(&tx.rows(&sql, &args).await?)?
    };
    tx.commit().await?;
    let page = ContactPage {
        contacts,
        total: u64::try_from(total).unwrap_or(0),
    };
    Ok((page, count_rows))
}

async fn delete_one(
    client: &mut Client,
    target: &Target,
    now: Timestamp,
    origin: &Origin,
) -> Result<bool, StoreError> {
    let tx = client.transaction().await?;
    let contact = match target.admit(lock(&tx, &target.id).await?) {
        Ok(contact) => contact,
        Err(DomainError::ContactNotFound) => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let removed = tx
        .run(
            "DELETE FROM contacts WHERE id = $1",
            &[&contact.id.as_str()],
        )
        .await?;
    record_changes(
        &tx,
        &[(Some(&contact), None)],
        &origin.actor,
        &WriteEvidence::same_for_all(&origin.evidence),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(removed == 1)
}

/// Deletes in one statement and records a `deleted` event per contact, in list order.
async fn delete_many(
    client: &mut Client,
    workspace: &WorkspaceId,
    scope: DeleteScope,
    now: Timestamp,
    origin: &Origin,
) -> Result<u64, StoreError> {
    let filter = match scope {
        DeleteScope::UnsubscribedOnly => "workspace_id = $1 AND NOT subscribed",
        DeleteScope::Everyone => "workspace_id = $1",
    };
    let tx = client.transaction().await?;
    let sql = format!(
        "DELETE FROM contacts WHERE {filter} {}",
        returning_contact()
    );
    let rows = tx.rows(&sql, &[&workspace.as_str()]).await?;
    let removed = deleted_in_list_order(&rows)?;
    let changes: Vec<(Option<&Contact>, Option<&Contact>)> =
        removed.iter().map(|c| (Some(c), None)).collect();
    record_changes(
        &tx,
        &changes,
        &origin.actor,
        &WriteEvidence::same_for_all(&origin.evidence),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(removed.len() as u64)
}

#[async_trait]
impl ContactStore for PostgresStore {
    async fn get_contact(
        &self,
        id: &ContactId,
        grant: &WorkspaceGrant,
    ) -> Result<Option<Contact>, StoreError> {
        let found = self
            .timed(async { read_on_replica_or_primary!(self, |client| get(client, id)) })
            .await?;
        Ok(visible_to(grant, found))
    }

    async fn update_contact(
        &self,
        target: Target,
        patch: ContactPatch,
        now: Timestamp,
        origin: Origin,
    ) -> Result<UpdateOutcome, StoreError> {
        if let Some(batcher) = self.batcher() {
            let job = PutJob {
                target,
                patch,
                now,
                origin,
            };
            return self.timed_write(batcher.update(job)).await;
        }
        self.timed_write(async {
            update(&mut self.client().await?, &target, &patch, now, &origin).await
        })
        .await
    }

    async fn upsert_contacts(
        &self,
        workspace: WorkspaceId,
        items: Vec<BulkItem>,
        now: Timestamp,
        origin: Origin,
    ) -> Result<BulkOutcome, StoreError> {
        self.timed_write(async {
            bulk::upsert(&mut self.client().await?, &workspace, &items, now, &origin).await
        })
        .await
    }

    async fn list_contacts(&self, query: ContactQuery) -> Result<ContactPage, StoreError> {
        let (page, count_rows) = self
            .timed(async { read_on_replica_or_primary!(self, |client| list(client, &query)) })
            .await?;
        if count_rows > FOLD_AFTER {
            self.count_folder.fold_soon(&self.pool, &query.workspace);
        }
        Ok(page)
    }

    async fn delete_contact(
        &self,
        target: Target,
        now: Timestamp,
        origin: Origin,
    ) -> Result<bool, StoreError> {
        self.timed_write(async {
            delete_one(&mut self.client().await?, &target, now, &origin).await
        })
        .await
    }

    async fn delete_contacts(
        &self,
        workspace: WorkspaceId,
        scope: DeleteScope,
        now: Timestamp,
        origin: Origin,
    ) -> Result<u64, StoreError> {
        self.timed_write(async {
            delete_many(&mut self.client().await?, &workspace, scope, now, &origin).await
        })
        .await
    }
}
