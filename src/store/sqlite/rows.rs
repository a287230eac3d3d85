//! Reading and writing contact rows.

use crate::domain::contact::Contact;
use crate::domain::custom_fields::CustomFields;
use crate::domain::email::EmailAddress;
use crate::domain::ids::{ContactId, UnsubToken, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use rusqlite::{Connection, Row, ToSql, params, params_from_iter};
use std::collections::BTreeMap;

/// The columns `contact_from_row` reads, in its order.
pub const CONTACT_COLUMNS: &str = "id, workspace_id, name, first_name, last_name, email, subscribed, \
     unsub_token, custom_fields, created_at, updated_at, version, email_norm";

/// A contact from a row selected with [`CONTACT_COLUMNS`].
pub fn contact_from_row(row: &Row<'_>) -> rusqlite::Result<Contact> {
    let fields: String = row.get(8)?;
    Ok(Contact {
        id: ContactId::from_stored(row.get(0)?),
        workspace_id: WorkspaceId::from_stored(row.get(1)?),
        name: row.get(2)?,
        first_name: row.get(3)?,
        last_name: row.get(4)?,
        email: EmailAddress::from_stored(row.get(5)?, row.get(12)?),
        subscribed: row.get(6)?,
        unsub_token: UnsubToken::from_stored(row.get(7)?),
        custom_fields: CustomFields::from_stored_json(&fields).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, Box::new(e))
        })?,
        created_at: Timestamp::from_millis(row.get(9)?),
        updated_at: Timestamp::from_millis(row.get(10)?),
        version: row.get(11)?,
    })
}

const INSERT_CONTACT: &str = "INSERT INTO contacts (id, workspace_id, name, first_name, last_name, email, \
     email_norm, subscribed, unsub_token, custom_fields, created_at, updated_at, version) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

/// Inserts new contacts and adds them to their workspaces' counts, one UPDATE per
/// workspace (migration 0004: no per-row trigger, so no statement journal per INSERT).
pub fn insert_contacts(conn: &Connection, contacts: &[Contact]) -> rusqlite::Result<()> {
    insert_and_count(conn, INSERT_CONTACT, contacts)
}

/// Inserts the contacts whose id is not there yet (`copy --resume`), counting only those.
pub fn insert_contacts_if_new(conn: &Connection, contacts: &[Contact]) -> rusqlite::Result<()> {
    let sql = format!("{INSERT_CONTACT} ON CONFLICT (id) DO NOTHING");
    insert_and_count(conn, &sql, contacts)
}

fn insert_and_count(conn: &Connection, sql: &str, contacts: &[Contact]) -> rusqlite::Result<()> {
    let mut insert = conn.prepare_cached(sql)?;
    // (contacts, subscribed) added per workspace.
    let mut added: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for c in contacts {
        if execute_insert(&mut insert, c)? == 1 {
            let counts = added.entry(c.workspace_id.as_str()).or_default();
            counts.0 += 1;
            counts.1 += i64::from(c.subscribed);
        }
    }
    let mut count = conn.prepare_cached(
        "UPDATE workspace_counts SET contacts = contacts + ?2, subscribed = subscribed + ?3 \
         WHERE workspace_id = ?1",
    )?;
    for (workspace, (contacts, subscribed)) in added {
        count.execute(params![workspace, contacts, subscribed])?;
    }
    Ok(())
}

/// Runs the INSERT for one contact; the number of rows it inserted (0 on a skipped conflict).
fn execute_insert(
    statement: &mut rusqlite::CachedStatement<'_>,
    c: &Contact,
) -> rusqlite::Result<usize> {
    statement.execute(params![
        c.id.as_str(),
        c.workspace_id.as_str(),
        c.name,
        c.first_name,
        c.last_name,
        c.email.as_str(),
        c.email.normalized(),
        c.subscribed,
        c.unsub_token.as_str(),
        c.custom_fields.to_json_string(),
        c.created_at.millis(),
        c.updated_at.millis(),
        c.version,
    ])
}

/// Writes a contact's new state over `before`. Email and subscribed are set only when
/// they change, so a write that keeps them leaves their indexes (and the counts
/// trigger) alone: fewer pages to the WAL per update.
pub fn update_contact_row(
    conn: &Connection,
    before: &Contact,
    c: &Contact,
) -> rusqlite::Result<()> {
    let email_changed = before.email.as_str() != c.email.as_str()
        || before.email.normalized() != c.email.normalized();
    let subscribed_changed = before.subscribed != c.subscribed;
    let mut sql = String::from(
        "UPDATE contacts SET name = ?2, first_name = ?3, last_name = ?4, custom_fields = ?5, \
         updated_at = ?6, version = ?7",
    );
    let fields = c.custom_fields.to_json_string();
    let (id, updated_at, version) = (c.id.as_str(), c.updated_at.millis(), c.version);
    let mut args: Vec<&dyn ToSql> = vec![
        &id,
        &c.name,
        &c.first_name,
        &c.last_name,
        &fields,
        &updated_at,
        &version,
    ];
    let (email, email_norm) = (c.email.as_str(), c.email.normalized());
    if email_changed {
        sql.push_str(&format!(
            ", email = ?{}, email_norm = ?{}",
            args.len() + 1,
            args.len() + 2
        ));
        args.push(&email);
        args.push(&email_norm);
    }
    if subscribed_changed {
        sql.push_str(&format!(", subscribed = ?{}", args.len() + 1));
        args.push(&c.subscribed);
    }
    sql.push_str(" WHERE id = ?1");
    conn.prepare_cached(&sql)?.execute(params_from_iter(args))?;
    Ok(())
}
