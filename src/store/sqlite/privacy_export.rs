//! [`PrivacyExportStore`] on SQLite: a scan of the workspace's events with LIKE
//! (case-insensitive for ASCII) and `store::privacy_export::spellings_pattern`.

use super::SqliteStore;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::store::privacy_export::spellings_pattern;
use crate::store::{PrivacyExportStore, StoreError};
use async_trait::async_trait;
use rusqlite::params;

#[async_trait]
impl PrivacyExportStore for SqliteStore {
    async fn contacts_mentioning(
        &self,
        workspace: &WorkspaceId,
        email: &str,
    ) -> Result<Vec<ContactId>, StoreError> {
        let workspace = workspace.clone();
        let pattern = spellings_pattern(email);
        self.readers
            .read(move |conn| {
                let ids = conn
                    .prepare_cached(
                        "SELECT contact_id FROM contact_events WHERE workspace_id = ?1 \
                         AND changes LIKE ?2 ESCAPE '\\' GROUP BY contact_id ORDER BY MIN(seq)",
                    )?
                    .query_map(params![workspace.as_str(), pattern], |r| {
                        r.get::<_, String>(0)
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(ids.into_iter().map(ContactId::from_stored).collect())
            })
            .await
    }
}
