//! The chunks of an import on PostgreSQL: each chunk in its own transaction that locks the
//! contacts its rows name, plans with `domain::import_plan::plan_import` and writes the
//! plan as a bulk upsert writes its own (`bulk::write_plan`); a lost race plans it again.
//! The dry run's `plan_chunk` reads without locking and writes nothing.

use super::bulk::{BULK_ATTEMPTS, TryError, write_plan};
use super::rows::{CONTACT_COLUMNS, contacts_from_rows};
use super::statements::Sql;
use super::suppressions::{suppress_in, suppressions_of};
use crate::domain::contact::Contact;
use crate::domain::error::DomainError;
use crate::domain::evidence::{Origin, WriteEvidence};
use crate::domain::ids::WorkspaceId;
use crate::domain::import_plan::{ImportItem, ImportPlan, import_keys, plan_import_with};
use crate::store::{ImportOutcome, ImportWrite, StoreError};
use deadpool_postgres::Client;

/// The contacts of `workspace` with an email the rows name, and those of any workspace
/// with an id or token they name; locked in id order when `lock`.
async fn touched(
    client: &impl Sql,
    workspace: &WorkspaceId,
    items: &[ImportItem],
    lock: bool,
) -> Result<Vec<Contact>, TryError> {
    let (ids, emails, tokens) = import_keys(items);
    let lock = if lock { " FOR UPDATE" } else { "" };
    let rows = client
        .rows(
            &format!(
                "SELECT {CONTACT_COLUMNS} FROM contacts WHERE (workspace_id = $1 \
                 AND email_norm = ANY($2::text[])) OR id = ANY($3::text[]) \
                 OR unsub_token = ANY($4::text[]) ORDER BY id{lock}"
            ),
            &[&workspace.as_str(), &emails, &ids, &tokens],
        )
        .await?;
    Ok(contacts_from_rows(&rows)?)
}

async fn plan(
    client: &impl Sql,
    workspace: &WorkspaceId,
    contacts: Vec<Contact>,
    items: &[ImportItem],
    write: &ImportWrite,
) -> Result<ImportPlan, StoreError> {
    let suppressions = suppressions_of(client, workspace, &import_keys(items).1).await?;
    plan_import_with(
        workspace,
        contacts,
        suppressions,
        items,
        write.now,
        write.resubscribe,
        write.override_suppression,
    )
    .map_err(|errors| DomainError::BulkRejected(errors).into())
}

/// Plans and writes one chunk, whole or not at all.
pub async fn import_chunk(
    client: &mut Client,
    workspace: &WorkspaceId,
    items: &[ImportItem],
    write: &ImportWrite,
) -> Result<ImportOutcome, StoreError> {
    for _ in 0..BULK_ATTEMPTS {
        match try_import(client, workspace, items, write).await {
            Ok(plan) => return Ok(plan.into()),
            Err(TryError::LostRace) => continue,
            Err(TryError::Store(e)) => return Err(e),
        }
    }
    Err(StoreError::Unavailable(
        "an import chunk kept colliding with concurrent writes".to_owned(),
    ))
}

async fn try_import(
    client: &mut Client,
    workspace: &WorkspaceId,
    items: &[ImportItem],
    write: &ImportWrite,
) -> Result<ImportPlan, TryError> {
    let tx = client.transaction().await?;
    let existing = touched(&tx, workspace, items, true).await?;
    let mut planned = plan(&tx, workspace, existing, items, write).await?;
    let evidence = WriteEvidence::same_for_all(&write.evidence);
    write_plan(&tx, &mut planned.plan, &write.actor, &evidence, write.now).await?;
    let origin = Origin::new(write.actor.clone(), write.evidence.clone());
    for (email, reason) in &planned.suppress {
        suppress_in(&tx, workspace, email, *reason, &origin, write.now).await?;
    }
    tx.commit().await?;
    Ok(planned)
}

/// What [`import_chunk`] would do, over the stored contacts with `earlier` put first.
pub async fn plan_chunk(
    client: &Client,
    workspace: &WorkspaceId,
    items: &[ImportItem],
    earlier: Vec<Contact>,
    write: &ImportWrite,
) -> Result<ImportPlan, StoreError> {
    let mut contacts = earlier;
    match touched(client, workspace, items, false).await {
        Ok(stored) => contacts.extend(stored),
        Err(TryError::Store(e)) => return Err(e),
        Err(TryError::LostRace) => {
            return Err(StoreError::Unavailable(
                "the read was interrupted".to_owned(),
            ));
        }
    }
    plan(client, workspace, contacts, items, write).await
}
