-- The dashboard's contact filter "suppressed / not suppressed" probes this once per
-- contact row (src/store/postgres/contact_search.rs). Suppression writes are rare; contact
-- writes do not touch it.
CREATE INDEX IF NOT EXISTS suppressions_address ON suppressions (workspace_id, email);
