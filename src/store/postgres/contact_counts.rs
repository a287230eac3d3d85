//! A list's `total` on PostgreSQL from the appended counts of migration 14, not a COUNT
//! over the workspace (94–200 ms at about 1M contacts on the project's machines, and
//! growing with the workspace): the migration's comment says how the rows are kept without
//! a lock writers share. A reader sums the workspace's rows in its own snapshot; when it
//! found many, this node folds them into one in the background ([`CountFolder`]).

use super::errors::map_pool_error;
use super::statements::Sql;
use crate::domain::ids::WorkspaceId;
use crate::store::{ContactQuery, StoreError};
use deadpool_postgres::{Pool, Transaction};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A workspace's rows beyond this are folded into one after the read that saw them.
pub(super) const FOLD_AFTER: i64 = 64;
/// How long a fold may take before it is given up (rolled back) and may be asked again.
const FOLD_WAIT: Duration = Duration::from_secs(30);

/// What the counts say for `query`, which has no email filter (an email matches at most one
/// contact, which its own indexed COUNT finds): the total, and how many rows were summed.
pub(super) async fn counted_total(
    tx: &Transaction<'_>,
    query: &ContactQuery,
) -> Result<(i64, i64), StoreError> {
    let row = tx
        .row(
            "SELECT COALESCE(SUM(contacts), 0)::BIGINT, COALESCE(SUM(subscribed), 0)::BIGINT, \
             COUNT(*) FROM contact_counts WHERE workspace_id = $1",
            &[&query.workspace.as_str()],
        )
        .await?;
    let (contacts, subscribed, rows): (i64, i64, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    Ok((query.total_from_counts(contacts, subscribed), rows))
}

/// Folds one workspace's rows into their sum, in one transaction. Rows appended after its
/// snapshot are not deleted and stay beside the sum; a row another node is folding at the
/// same time is skipped once that node commits (it is gone), so none is counted twice.
async fn fold(pool: &Pool, workspace: &str) -> Result<(), StoreError> {
    let mut client = pool.get().await.map_err(map_pool_error)?;
    let tx = client.transaction().await?;
    tx.run(
        "WITH folded AS (DELETE FROM contact_counts WHERE workspace_id = $1 \
         RETURNING contacts, subscribed) \
         INSERT INTO contact_counts (workspace_id, contacts, subscribed) \
         SELECT $1, SUM(contacts), SUM(subscribed) FROM folded HAVING COUNT(*) > 0",
        &[&workspace],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Folds workspaces' counts on the primary, at most one fold per workspace at a time on
/// this node.
#[derive(Clone, Default)]
pub(super) struct CountFolder {
    folding: Arc<Mutex<HashSet<String>>>,
}

impl CountFolder {
    /// Starts folding `workspace`'s counts unless this node already is. A fold that fails
    /// or takes longer than `FOLD_WAIT` changes nothing (its transaction rolls back); the
    /// next read that finds many rows asks again.
    pub(super) fn fold_soon(&self, pool: &Pool, workspace: &WorkspaceId) {
        let workspace = workspace.as_str().to_owned();
        if !self.lock().insert(workspace.clone()) {
            return;
        }
        let (pool, folder) = (pool.clone(), self.clone());
        tokio::spawn(async move {
            let failed = match tokio::time::timeout(FOLD_WAIT, fold(&pool, &workspace)).await {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(e.to_string()),
                Err(_) => Some(format!("no answer within {} s", FOLD_WAIT.as_secs())),
            };
            if let Some(error) = failed {
                tracing::warn!(workspace, error, "folding the contact counts failed");
            }
            folder.lock().remove(&workspace);
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.folding.lock().unwrap_or_else(|e| e.into_inner())
    }
}
