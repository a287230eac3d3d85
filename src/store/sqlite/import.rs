//! The chunks of an import on SQLite (`TransferStore::import_contact_chunks` and the dry
//! run's `plan_import_chunk`): fetch what `domain::import_plan::plan_import` needs, plan,
//! and write the plan as a bulk upsert writes its own.

use super::contacts::write_plan;
use super::rows::{CONTACT_COLUMNS, contact_from_row};
use super::suppressions::{suppress, suppressions_of};
use crate::domain::contact::Contact;
use crate::domain::error::DomainError;
use crate::domain::evidence::{Origin, WriteEvidence};
use crate::domain::ids::WorkspaceId;
use crate::domain::import_plan::{ImportItem, ImportPlan, import_keys, plan_import_with};
use crate::store::{ChunkOutcomes, ImportOutcome, ImportWrite, StoreError};
use rusqlite::{Connection, params};

/// The contacts of `workspace` with an email the rows name, and those of any workspace
/// with an id or token they name (three indexed searches; UNION returns each once).
fn touched(
    conn: &Connection,
    workspace: &WorkspaceId,
    items: &[ImportItem],
) -> Result<Vec<Contact>, StoreError> {
    let (ids, emails, tokens) = import_keys(items);
    let to_json = |v: &Vec<&str>| serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned());
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {CONTACT_COLUMNS} FROM contacts WHERE workspace_id = ?1 \
         AND email_norm IN (SELECT value FROM json_each(?3)) \
         UNION SELECT {CONTACT_COLUMNS} FROM contacts WHERE id IN (SELECT value FROM json_each(?2)) \
         UNION SELECT {CONTACT_COLUMNS} FROM contacts \
         WHERE unsub_token IN (SELECT value FROM json_each(?4))"
    ))?;
    let rows = stmt.query_map(
        params![
            workspace.as_str(),
            to_json(&ids),
            to_json(&emails),
            to_json(&tokens)
        ],
        contact_from_row,
    )?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Plans one chunk over the stored contacts, with `earlier` (a dry run's) put first.
pub(super) fn plan_chunk(
    conn: &Connection,
    workspace: &WorkspaceId,
    items: &[ImportItem],
    earlier: Vec<Contact>,
    write: &ImportWrite,
) -> Result<ImportPlan, StoreError> {
    let mut contacts = earlier;
    contacts.extend(touched(conn, workspace, items)?);
    let suppressions = suppressions_of(conn, workspace, &import_keys(items).1)?;
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

/// Plans and writes each chunk in order, stopping at the first the plan rejects.
pub(super) fn import_chunks(
    conn: &Connection,
    workspace: &WorkspaceId,
    chunks: &[Vec<ImportItem>],
    write: &ImportWrite,
) -> Result<ChunkOutcomes<ImportOutcome>, StoreError> {
    let mut done = ChunkOutcomes::with_capacity(chunks.len());
    for items in chunks {
        let planned = plan_chunk(conn, workspace, items, Vec::new(), write).and_then(|plan| {
            let evidence = WriteEvidence::same_for_all(&write.evidence);
            write_plan(conn, &plan.plan, &write.actor, &evidence, write.now)?;
            let origin = Origin::new(write.actor.clone(), write.evidence.clone());
            for (email, reason) in &plan.suppress {
                suppress(conn, workspace, email, *reason, &origin, write.now)?;
            }
            Ok(ImportOutcome::from(plan))
        });
        if !done.record(planned)? {
            break;
        }
    }
    Ok(done)
}
