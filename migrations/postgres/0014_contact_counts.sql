-- A list's `total` without a COUNT over the workspace (src/store/postgres/contact_counts.rs).
-- SQLite keeps one counts row per workspace; here that row would be a lock every writer of
-- the workspace queues on, on every node, which is what migration 6 took away from the
-- feed. So the counts are kept as rows of changes that are only ever appended: each
-- statement that inserts or deletes contacts appends one row per workspace it touched, and
-- each change of `subscribed` appends one; a workspace's counts are the sum of its rows.
-- Appending takes no lock another writer waits on. A reader sums the rows in its own
-- snapshot, so the total agrees with the page it reads beside it. When a workspace has
-- many rows, a node folds them into one (DELETE … RETURNING and one INSERT of the sum, in
-- one transaction: rows appended meanwhile are not in that snapshot and stay; two nodes
-- folding at once never fold a row twice).
CREATE TABLE IF NOT EXISTS contact_counts (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  TEXT COLLATE "C" NOT NULL,
    contacts      BIGINT NOT NULL,
    subscribed    BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS contact_counts_workspace
    ON contact_counts (workspace_id) INCLUDE (contacts, subscribed);

-- Writers wait while the triggers are made and the counts filled, so no write falls
-- between the two.
LOCK TABLE contacts IN SHARE ROW EXCLUSIVE MODE;

-- Once per statement, with the rows it inserted (+) or deleted (-): a bulk import of 1000
-- rows appends one row, not 1000.
CREATE OR REPLACE FUNCTION contact_counts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    sign BIGINT := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    INSERT INTO contact_counts (workspace_id, contacts, subscribed)
    SELECT workspace_id, sign * COUNT(*), sign * COUNT(*) FILTER (WHERE subscribed)
    FROM counted_rows GROUP BY workspace_id;
    RETURN NULL;
END $$;

-- Per row, but only when `subscribed` changed: a write that keeps it (most PUTs) runs
-- nothing. A contact never changes workspace.
CREATE OR REPLACE FUNCTION contact_counts_resubscribed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO contact_counts (workspace_id, contacts, subscribed)
    VALUES (NEW.workspace_id, 0, CASE WHEN NEW.subscribed THEN 1 ELSE -1 END);
    RETURN NULL;
END $$;

DROP TRIGGER IF EXISTS contact_counts_on_insert ON contacts;
CREATE TRIGGER contact_counts_on_insert AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS counted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION contact_counts_changed();

DROP TRIGGER IF EXISTS contact_counts_on_delete ON contacts;
CREATE TRIGGER contact_counts_on_delete AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS counted_rows
    FOR EACH STATEMENT EXECUTE FUNCTION contact_counts_changed();

DROP TRIGGER IF EXISTS contact_counts_on_subscribed ON contacts;
CREATE TRIGGER contact_counts_on_subscribed AFTER UPDATE OF subscribed ON contacts
    FOR EACH ROW WHEN (OLD.subscribed IS DISTINCT FROM NEW.subscribed)
    EXECUTE FUNCTION contact_counts_resubscribed();

-- The contacts already stored, one row per workspace.
DELETE FROM contact_counts;
INSERT INTO contact_counts (workspace_id, contacts, subscribed)
SELECT workspace_id, COUNT(*), COUNT(*) FILTER (WHERE subscribed)
FROM contacts GROUP BY workspace_id;
