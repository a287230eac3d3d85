-- Per-workspace contact counts, kept exact by triggers in the same transaction as every
-- write, so a list's `total` is one row read instead of a count over every contact.
CREATE TABLE workspace_counts (
    workspace_id  TEXT NOT NULL PRIMARY KEY REFERENCES workspaces(id),
    contacts      INTEGER NOT NULL,
    subscribed    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO workspace_counts (workspace_id, contacts, subscribed)
SELECT w.id,
       (SELECT COUNT(*) FROM contacts c WHERE c.workspace_id = w.id),
       (SELECT COUNT(*) FROM contacts c WHERE c.workspace_id = w.id AND c.subscribed = 1)
FROM workspaces w;

CREATE TRIGGER workspace_counts_on_new_workspace AFTER INSERT ON workspaces
BEGIN
    INSERT INTO workspace_counts (workspace_id, contacts, subscribed) VALUES (NEW.id, 0, 0);
END;

CREATE TRIGGER workspace_counts_on_insert AFTER INSERT ON contacts
BEGIN
    UPDATE workspace_counts
    SET contacts = contacts + 1, subscribed = subscribed + NEW.subscribed
    WHERE workspace_id = NEW.workspace_id;
END;

CREATE TRIGGER workspace_counts_on_delete AFTER DELETE ON contacts
BEGIN
    UPDATE workspace_counts
    SET contacts = contacts - 1, subscribed = subscribed - OLD.subscribed
    WHERE workspace_id = OLD.workspace_id;
END;

-- A contact never changes workspace; only a change of `subscribed` moves a count.
CREATE TRIGGER workspace_counts_on_subscribed AFTER UPDATE OF subscribed ON contacts
WHEN OLD.subscribed <> NEW.subscribed
BEGIN
    UPDATE workspace_counts
    SET subscribed = subscribed + NEW.subscribed - OLD.subscribed
    WHERE workspace_id = NEW.workspace_id;
END;
