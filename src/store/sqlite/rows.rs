//! Reading and writing contact rows.

use crate::domain::contact::Contact;
use crate::domain::custom_fields::CustomFields;
use crate::domain::email::EmailAddress;
use crate::domain::ids::{ContactId, UnsubToken, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use rusqlite::{Connection, Row, params};

/// The columns `contact_from_row` reads, in its order.
pub const CONTACT_COLUMNS: &str = "id, workspace_id, name, first_name, last_name, email, subscribed, \
     unsub_token, custom_fields, created_at, updated_at, version";

/// A contact from a row selected with [`CONTACT_COLUMNS`].
pub fn contact_from_row(row: &Row<'_>) -> rusqlite::Result<Contact> {
    let fields: String = row.get(8)?;
    Ok(Contact {
        id: ContactId::from_stored(row.get(0)?),
        workspace_id: WorkspaceId::from_stored(row.get(1)?),
        name: row.get(2)?,
        first_name: row.get(3)?,
        last_name: row.get(4)?,
        email: EmailAddress::from_stored(row.get(5)?),
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

/// Inserts a new contact.
pub fn insert_contact(conn: &Connection, c: &Contact) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO contacts (id, workspace_id, name, first_name, last_name, email, email_norm, subscribed, \
         unsub_token, custom_fields, created_at, updated_at, version) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
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
    ])?;
    Ok(())
}

/// Overwrites every writable column of an existing contact.
pub fn update_contact_row(conn: &Connection, c: &Contact) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE contacts SET name = ?2, first_name = ?3, last_name = ?4, email = ?5, email_norm = ?6, \
         subscribed = ?7, custom_fields = ?8, updated_at = ?9, version = ?10 WHERE id = ?1",
    )?
    .execute(params![
        c.id.as_str(),
        c.name,
        c.first_name,
        c.last_name,
        c.email.as_str(),
        c.email.normalized(),
        c.subscribed,
        c.custom_fields.to_json_string(),
        c.updated_at.millis(),
        c.version,
    ])?;
    Ok(())
}
