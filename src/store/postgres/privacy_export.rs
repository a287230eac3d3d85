//! [`PrivacyExportStore`] on PostgreSQL: a scan of the workspace's events with ILIKE and
//! `store::privacy_export::spellings_pattern`.

use super::PostgresStore;
use super::statements::Sql;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::store::privacy_export::spellings_pattern;
use crate::store::{PrivacyExportStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl PrivacyExportStore for PostgresStore {
    async fn contacts_mentioning(
        &self,
        workspace: &WorkspaceId,
        email: &str,
    ) -> Result<Vec<ContactId>, StoreError> {
        self.timed(async {
            // PostgreSQL text cannot hold NUL, so such an address is in no history.
            if email.contains('\0') {
                return Ok(Vec::new());
            }
            let rows = self
                .client()
                .await?
                .rows(
                    "SELECT contact_id FROM contact_events WHERE workspace_id = $1 \
                     AND changes ILIKE $2 ESCAPE '\\' GROUP BY contact_id ORDER BY MIN(seq)",
                    &[&workspace.as_str(), &spellings_pattern(email)],
                )
                .await?;
            rows.iter()
                .map(|row| Ok(ContactId::from_stored(row.try_get(0)?)))
                .collect()
        })
        .await
    }
}
