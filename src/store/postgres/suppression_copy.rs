//! Suppressions and their salt read and written as they are, for `purrlist copy`
//! (PostgreSQL side).

use super::statements::Sql;
use super::suppressions::{COLUMNS, from_row, get, put, salt};
use crate::store::{StoreError, SuppressionCopy};
use deadpool_postgres::Client;

pub(super) async fn export(client: &Client) -> Result<SuppressionCopy, StoreError> {
    let rows = client
        .rows(
            &format!("SELECT {COLUMNS} FROM suppressions ORDER BY id"),
            &[],
        )
        .await?;
    Ok(SuppressionCopy {
        salt: salt(client).await?,
        suppressions: rows.iter().map(from_row).collect::<Result<_, _>>()?,
    })
}

pub(super) async fn import(client: &mut Client, copy: &SuppressionCopy) -> Result<(), StoreError> {
    let Some(wanted) = &copy.salt else {
        return Ok(());
    };
    let tx = client.transaction().await?;
    tx.run(
        "INSERT INTO suppression_salt (singleton, salt) VALUES (1, $1) ON CONFLICT DO NOTHING",
        &[wanted],
    )
    .await?;
    if salt(&tx).await?.as_ref() != Some(wanted) {
        return Err(StoreError::Internal(
            "the target already has suppressions under another salt".to_owned(),
        ));
    }
    for s in &copy.suppressions {
        if get(&tx, &s.id).await?.is_none() {
            put(&tx, s).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
