//! Reading and writing contact rows.

use crate::domain::contact::Contact;
use crate::domain::custom_fields::CustomFields;
use crate::domain::email::EmailAddress;
use crate::domain::ids::{ContactId, UnsubToken, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use rusqlite::{Connection, Row, ToSql, params, params_from_iter};

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

const INSERT_CONTACT: &str = "INSERT INTO contacts (id, workspace_id, name, first_name, last_name, email, \
     email_norm, subscribed, unsub_token, custom_fields, created_at, updated_at, version) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

/// Inserts a new contact.
pub fn insert_contact(conn: &Connection, c: &Contact) -> rusqlite::Result<()> {
    execute_insert(&mut conn.prepare_cached(INSERT_CONTACT)?, c)
}

/// Inserts a contact unless one with its id is there already (`copy --resume`).
pub fn insert_contact_if_new(conn: &Connection, c: &Contact) -> rusqlite::Result<()> {
    let sql = format!("{INSERT_CONTACT} ON CONFLICT (id) DO NOTHING");
    execute_insert(&mut conn.prepare_cached(&sql)?, c)
}

fn execute_insert(
    statement: &mut rusqlite::CachedStatement<'_>,
    c: &Contact,
) -> rusqlite::Result<()> {
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
    ])?;
    Ok(())
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
