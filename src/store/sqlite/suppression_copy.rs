//! Suppressions and their salt read and written as they are, for `purrlist copy` (SQLite
//! side).

use super::suppressions::{COLUMNS, from_row, get, put, salt};
use crate::store::{StoreError, SuppressionCopy};
use rusqlite::Connection;

pub(super) fn export(conn: &Connection) -> Result<SuppressionCopy, StoreError> {
    let suppressions = conn
        .prepare(&format!("SELECT {COLUMNS} FROM suppressions ORDER BY id"))?
        .query_map([], from_row)?
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .collect::<Result<_, _>>()?;
    Ok(SuppressionCopy {
        salt: salt(conn)?,
        suppressions,
    })
}

pub(super) fn import(conn: &Connection, copy: &SuppressionCopy) -> Result<(), StoreError> {
    let Some(wanted) = &copy.salt else {
        return Ok(());
    };
    conn.prepare_cached("INSERT OR IGNORE INTO suppression_salt (singleton, salt) VALUES (1, ?1)")?
        .execute([wanted])?;
    if salt(conn)?.as_ref() != Some(wanted) {
        return Err(StoreError::Internal(
            "the target already has suppressions under another salt".to_owned(),
        ));
    }
    for s in &copy.suppressions {
        if get(conn, &s.id)?.is_none() {
            put(conn, s)?;
        }
    }
    Ok(())
}
