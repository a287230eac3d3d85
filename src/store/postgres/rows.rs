//! Reading and writing contact rows; batches go through `unnest` so one statement
//! writes many rows.

use super::statements::Sql;
use crate::domain::contact::Contact;
use crate::domain::custom_fields::CustomFields;
use crate::domain::email::EmailAddress;
use crate::domain::ids::{ContactId, UnsubToken, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::StoreError;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

/// The columns `contact_from_row` reads, in its order.
pub const CONTACT_COLUMNS: &str = "id, workspace_id, name, first_name, last_name, email, subscribed, \
     unsub_token, custom_fields, created_at, updated_at, version, email_norm";

/// A contact from a row selected with [`CONTACT_COLUMNS`].
pub fn contact_from_row(row: &Row) -> Result<Contact, StoreError> {
    let fields: String = row.try_get(8)?;
    Ok(Contact {
        id: ContactId::from_stored(row.try_get(0)?),
        workspace_id: WorkspaceId::from_stored(row.try_get(1)?),
        name: row.try_get(2)?,
        first_name: row.try_get(3)?,
        last_name: row.try_get(4)?,
        email: EmailAddress::from_stored(row.try_get(5)?, row.try_get(12)?),
        subscribed: row.try_get(6)?,
        unsub_token: UnsubToken::from_stored(row.try_get(7)?),
        custom_fields: CustomFields::from_stored_json(&fields)
            .map_err(|e| StoreError::Internal(format!("stored custom_fields unreadable: {e}")))?,
        created_at: Timestamp::from_millis(row.try_get(9)?),
        updated_at: Timestamp::from_millis(row.try_get(10)?),
        version: row.try_get(11)?,
    })
}

/// Contacts from rows selected with [`CONTACT_COLUMNS`].
pub fn contacts_from_rows(rows: &[Row]) -> Result<Vec<Contact>, StoreError> {
    rows.iter().map(contact_from_row).collect()
}

/// What to do when a new row clashes with an existing one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Skip a row whose email its workspace already has (the caller counts and retries).
    SkipEmailClash,
    /// Skip a row whose id is already stored (a resumed copy).
    SkipSameId,
}

/// Inserts contacts in one statement; returns how many rows went in.
pub async fn insert_contacts(
    client: &impl Sql,
    contacts: &[Contact],
    on_conflict: OnConflict,
) -> Result<u64, tokio_postgres::Error> {
    if contacts.is_empty() {
        return Ok(0);
    }
    let texts = |f: fn(&Contact) -> &str| contacts.iter().map(f).collect::<Vec<&str>>();
    let ids = texts(|c| c.id.as_str());
    let workspaces = texts(|c| c.workspace_id.as_str());
    let names = texts(|c| &c.name);
    let first_names = texts(|c| &c.first_name);
    let last_names = texts(|c| &c.last_name);
    let emails = texts(|c| c.email.as_str());
    let norms = texts(|c| c.email.normalized());
    let subscribed: Vec<bool> = contacts.iter().map(|c| c.subscribed).collect();
    let tokens = texts(|c| c.unsub_token.as_str());
    let fields: Vec<String> = contacts
        .iter()
        .map(|c| c.custom_fields.to_json_string())
        .collect();
    let created: Vec<i64> = contacts.iter().map(|c| c.created_at.millis()).collect();
    let updated: Vec<i64> = contacts.iter().map(|c| c.updated_at.millis()).collect();
    let versions: Vec<i64> = contacts.iter().map(|c| c.version).collect();
    let conflict = match on_conflict {
        OnConflict::SkipEmailClash => "ON CONFLICT (workspace_id, email_norm) DO NOTHING",
        OnConflict::SkipSameId => "ON CONFLICT (id) DO NOTHING",
    };
    let sql = format!(
        "INSERT INTO contacts (id, workspace_id, name, first_name, last_name, email, email_norm, \
         subscribed, unsub_token, custom_fields, created_at, updated_at, version) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::bool[], $9::text[], $10::text[], $11::int8[], $12::int8[], $13::int8[]) {conflict}"
    );
    let params: [&(dyn ToSql + Sync); 13] = [
        &ids,
        &workspaces,
        &names,
        &first_names,
        &last_names,
        &emails,
        &norms,
        &subscribed,
        &tokens,
        &fields,
        &created,
        &updated,
        &versions,
    ];
    client.run(&sql, &params).await
}

/// Overwrites every writable column of existing contacts, in one statement.
pub async fn update_contacts(
    client: &impl Sql,
    contacts: &[&Contact],
) -> Result<u64, tokio_postgres::Error> {
    if contacts.is_empty() {
        return Ok(0);
    }
    let ids: Vec<&str> = contacts.iter().map(|c| c.id.as_str()).collect();
    let names: Vec<&str> = contacts.iter().map(|c| c.name.as_str()).collect();
    let first_names: Vec<&str> = contacts.iter().map(|c| c.first_name.as_str()).collect();
    let last_names: Vec<&str> = contacts.iter().map(|c| c.last_name.as_str()).collect();
    let emails: Vec<&str> = contacts.iter().map(|c| c.email.as_str()).collect();
    let norms: Vec<&str> = contacts.iter().map(|c| c.email.normalized()).collect();
    let subscribed: Vec<bool> = contacts.iter().map(|c| c.subscribed).collect();
    let fields: Vec<String> = contacts
        .iter()
        .map(|c| c.custom_fields.to_json_string())
        .collect();
    let updated: Vec<i64> = contacts.iter().map(|c| c.updated_at.millis()).collect();
    let versions: Vec<i64> = contacts.iter().map(|c| c.version).collect();
    client
        .run(
            "UPDATE contacts AS c SET name = u.name, first_name = u.first_name, last_name = u.last_name, \
             email = u.email, email_norm = u.email_norm, subscribed = u.subscribed, \
             custom_fields = u.custom_fields, updated_at = u.updated_at, version = u.version \
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], \
             $7::bool[], $8::text[], $9::int8[], $10::int8[]) \
             AS u(id, name, first_name, last_name, email, email_norm, subscribed, custom_fields, updated_at, version) \
             WHERE c.id = u.id",
            &[
                &ids,
                &names,
                &first_names,
                &last_names,
                &emails,
                &norms,
                &subscribed,
                &fields,
                &updated,
                &versions,
            ],
        )
        .await
}
