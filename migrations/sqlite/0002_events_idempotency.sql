-- The change feed and consent record: one row per change to a contact, written in the
-- transaction of the change. seq is the feed's cursor; AUTOINCREMENT so that a seq is never
-- reused, even after pruning removed the newest rows.
CREATE TABLE contact_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id  TEXT NOT NULL,
    contact_id    TEXT NOT NULL,
    kind          TEXT NOT NULL,
    changes       TEXT NOT NULL,      -- JSON object {"field": {"old": …, "new": …}}, in field order
    actor_type    TEXT NOT NULL,      -- api_key | unsubscribe_link | cli
    actor_key_id  TEXT,
    created_at    INTEGER NOT NULL
) STRICT;

-- The feed of a workspace, and one contact's history (the rowid, seq, ends each index).
CREATE INDEX contact_events_workspace ON contact_events (workspace_id);
CREATE INDEX contact_events_contact ON contact_events (contact_id);

-- Idempotency keys: the first answer to a request, per API key, kept 24 hours.
CREATE TABLE idempotency_keys (
    api_key_id    TEXT NOT NULL,
    idem_key      TEXT NOT NULL,
    request_hash  BLOB NOT NULL,
    done          INTEGER NOT NULL,   -- 0 while the first request runs
    status        INTEGER,
    content_type  TEXT,
    etag          TEXT,
    body          BLOB,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
) STRICT;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
