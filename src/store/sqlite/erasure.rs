//! Erasure on request on SQLite (`SuppressionStore::erase_address`): the contact deleted,
//! the personal data stripped from the events of every contact that held the address, an
//! `erased` suppression kept that holds only the hash (`domain::suppression`).

use super::events::record;
use super::suppressions::{get, holder, put, salt_or_make};
use crate::domain::email::EmailAddress;
use crate::domain::evidence::Origin;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::suppression::{
    Suppression, SuppressionReason, local_part, mentions_email, scrubbed, suppression_event,
    suppression_id,
};
use crate::domain::timestamp::Timestamp;
use crate::store::{ErasureOutcome, StoreError};
use rusqlite::{Connection, params};
use std::collections::BTreeSet;

/// Strips personal data from the events of every contact of `workspace` that held
/// `email_norm` (found by the address in their events, so contacts deleted earlier count
/// too) and of `also`; returns how many events changed.
fn scrub_events(
    conn: &Connection,
    workspace: &WorkspaceId,
    email_norm: &str,
    also: Option<&ContactId>,
) -> Result<u64, StoreError> {
    let mut contacts: BTreeSet<String> = also.map(|c| c.as_str().to_owned()).into_iter().collect();
    let needle = format!("{}@", local_part(email_norm));
    let mut candidates = conn.prepare_cached(
        "SELECT contact_id, changes FROM contact_events \
         WHERE workspace_id = ?1 AND instr(lower(changes), ?2) > 0",
    )?;
    let rows = candidates.query_map(params![workspace.as_str(), needle], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    for row in rows {
        let (contact, changes) = row?;
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&changes)
            && mentions_email(&map, email_norm)
        {
            contacts.insert(contact);
        }
    }
    let mut scrubbed_count = 0;
    // The evidence of those events names the person's IP, browser and any forwarded
    // consent: only its source stays.
    let mut strip_evidence = conn.prepare_cached(
        "UPDATE contact_event_evidence SET evidence = json_object('source', \
         json_extract(evidence, '$.source')) \
         WHERE seq IN (SELECT seq FROM contact_events WHERE contact_id = ?1)",
    )?;
    for contact in contacts {
        strip_evidence.execute([contact.as_str()])?;
        let events: Vec<(i64, String)> = conn
            .prepare_cached("SELECT seq, changes FROM contact_events WHERE contact_id = ?1")?
            .query_map([contact.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (seq, changes) in events {
            let Ok(serde_json::Value::Object(map)) = serde_json::from_str(&changes) else {
                continue;
            };
            let kept = scrubbed(&map);
            if kept.len() != map.len() {
                conn.prepare_cached("UPDATE contact_events SET changes = ?2 WHERE seq = ?1")?
                    .execute(params![seq, serde_json::Value::Object(kept).to_string()])?;
                scrubbed_count += 1;
            }
        }
    }
    Ok(scrubbed_count)
}

pub(super) fn erase(
    conn: &Connection,
    workspace: &WorkspaceId,
    email: &EmailAddress,
    origin: &Origin,
    now: Timestamp,
) -> Result<ErasureOutcome, StoreError> {
    let norm = email.normalized();
    let id = suppression_id(&salt_or_make(conn)?, workspace, norm);
    let prior = get(conn, &id)?.map(|s| s.reason);
    let contact = holder(conn, workspace, norm)?;
    if let Some(contact) = &contact {
        conn.prepare_cached("DELETE FROM contacts WHERE id = ?1")?
            .execute([contact.id.as_str()])?;
    }
    let contact_id = contact.map(|c| c.id);
    let events_scrubbed = scrub_events(conn, workspace, norm, contact_id.as_ref())?;
    let suppression = Suppression {
        id,
        workspace_id: workspace.clone(),
        email: None,
        reason: SuppressionReason::Erased,
        at: now,
        actor: origin.actor.clone(),
    };
    put(conn, &suppression)?;
    if let Some(contact) = &contact_id {
        let event = suppression_event(
            workspace,
            contact,
            prior,
            Some(SuppressionReason::Erased),
            None,
        );
        record(conn, &event, &origin.actor, &origin.evidence, now)?;
    }
    Ok(ErasureOutcome {
        contact_id,
        events_scrubbed,
        suppression,
    })
}
