//! Erasure on request on PostgreSQL (`SuppressionStore::erase_address`): in one
//! transaction that locks the contact, the contact deleted, the personal data stripped from
//! the events of every contact that held the address, an `erased` suppression kept that
//! holds only the hash (`domain::suppression`).

use super::events::record_events;
use super::statements::Sql;
use super::suppressions::{get, holder, put, salt_or_make};
use crate::domain::email::EmailAddress;
use crate::domain::evidence::{Origin, WriteEvidence};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::suppression::{
    Suppression, SuppressionReason, local_part, mentions_email, scrubbed, suppression_event,
    suppression_id,
};
use crate::domain::timestamp::Timestamp;
use crate::store::{ErasureOutcome, StoreError};
use deadpool_postgres::Client;
use std::collections::BTreeSet;

/// Strips personal data from the events of every contact of `workspace` that held
/// `email_norm` (found by the address in their events, so contacts deleted earlier count
/// too) and of `also`; returns how many events changed.
async fn scrub_events(
    tx: &impl Sql,
    workspace: &WorkspaceId,
    email_norm: &str,
    also: Option<&ContactId>,
) -> Result<u64, StoreError> {
    let mut contacts: BTreeSet<String> = also.map(|c| c.as_str().to_owned()).into_iter().collect();
    let needle = format!("{}@", local_part(email_norm));
    // lower() of the C collation folds ASCII letters only, as the normal form does.
    let rows = tx
        .rows(
            "SELECT contact_id, changes FROM contact_events \
             WHERE workspace_id = $1 AND strpos(lower(changes COLLATE \"C\"), $2) > 0",
            &[&workspace.as_str(), &needle],
        )
        .await?;
    for row in &rows {
        let changes: String = row.try_get(1)?;
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&changes)
            && mentions_email(&map, email_norm)
        {
            contacts.insert(row.try_get(0)?);
        }
    }
    let contacts: Vec<String> = contacts.into_iter().collect();
    let events = tx
        .rows(
            "SELECT seq, changes FROM contact_events WHERE contact_id = ANY($1::text[])",
            &[&contacts],
        )
        .await?;
    // The evidence of those events names the person's IP, browser and any forwarded
    // consent: only its source stays.
    tx.run(
        "UPDATE contact_events SET evidence = json_build_object('source', evidence::json->'source')::text \
         WHERE contact_id = ANY($1::text[]) AND evidence IS NOT NULL",
        &[&contacts],
    )
    .await?;
    let (mut seqs, mut kept) = (Vec::new(), Vec::new());
    for row in &events {
        let changes: String = row.try_get(1)?;
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&changes) else {
            continue;
        };
        let stripped = scrubbed(&map);
        if stripped.len() != map.len() {
            seqs.push(row.try_get::<_, i64>(0)?);
            kept.push(serde_json::Value::Object(stripped).to_string());
        }
    }
    if !seqs.is_empty() {
        tx.run(
            "UPDATE contact_events AS e SET changes = u.changes \
             FROM unnest($1::int8[], $2::text[]) AS u(seq, changes) WHERE e.seq = u.seq",
            &[&seqs, &kept],
        )
        .await?;
    }
    Ok(seqs.len() as u64)
}

pub(super) async fn erase(
    client: &mut Client,
    workspace: &WorkspaceId,
    email: &EmailAddress,
    origin: &Origin,
    now: Timestamp,
) -> Result<ErasureOutcome, StoreError> {
    let tx = client.transaction().await?;
    let norm = email.normalized();
    let id = suppression_id(&salt_or_make(&tx).await?, workspace, norm);
    let prior = get(&tx, &id).await?.map(|s| s.reason);
    let contact = holder(&tx, workspace, norm).await?;
    if let Some(contact) = &contact {
        tx.run(
            "DELETE FROM contacts WHERE id = $1",
            &[&contact.id.as_str()],
        )
        .await?;
    }
    let contact_id = contact.map(|c| c.id);
    let events_scrubbed = scrub_events(&tx, workspace, norm, contact_id.as_ref()).await?;
    let suppression = Suppression {
        id,
        workspace_id: workspace.clone(),
        email: None,
        reason: SuppressionReason::Erased,
        at: now,
        actor: origin.actor.clone(),
    };
    put(&tx, &suppression).await?;
    if let Some(contact) = &contact_id {
        let event = suppression_event(
            workspace,
            contact,
            prior,
            Some(SuppressionReason::Erased),
            None,
        );
        record_events(
            &tx,
            &[event],
            &origin.actor,
            &WriteEvidence::same_for_all(&origin.evidence),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(ErasureOutcome {
        contact_id,
        events_scrubbed,
        suppression,
    })
}
