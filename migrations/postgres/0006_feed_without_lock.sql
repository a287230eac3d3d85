-- The change feed without the per-workspace lock (src/store/postgres/events.rs explains the
-- rule). Every event records `feed_xid`: the id of the transaction that wrote it (raised,
-- if need be, to the `feed_xid` of the contact's previous event). The feed is read in
-- (feed_xid, seq) order, and only events whose feed_xid is below the reader's snapshot
-- xmin are served, so writers no longer queue behind each other to commit.
--
-- Rows written before this migration get 0: they come first, in seq order (their commit
-- order, which the lock guaranteed), and are visible at once. An old cursor (a seq) then
-- names the same position as before. The column default is the writing transaction's id,
-- so a writer that does not name the column (a node of the previous version during an
-- upgrade) still records a value that can never be served before its commit is settled.
-- Adding a column with a constant default does not rewrite the table; the two indexes are
-- built in this migration's transaction, which takes a while on a large feed. Safe to run
-- again (a test rewinds the recorded versions and re-applies every later migration).
ALTER TABLE contact_events ADD COLUMN IF NOT EXISTS feed_xid BIGINT NOT NULL DEFAULT 0;
ALTER TABLE contact_events ALTER COLUMN feed_xid SET DEFAULT (pg_current_xact_id()::text::bigint);
DROP INDEX IF EXISTS contact_events_workspace;
CREATE INDEX contact_events_workspace ON contact_events (workspace_id, feed_xid, seq);
-- Pruning walks the feed from its oldest position.
CREATE INDEX IF NOT EXISTS contact_events_feed ON contact_events (feed_xid, seq);
