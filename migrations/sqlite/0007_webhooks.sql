-- Webhooks (docs/webhooks.md): endpoints with their signing secrets (stored as they are:
-- HMAC needs them; docs/security.md), each one's position in the change feed (cursor: the
-- last event accepted), its retry state, and the lease of the node delivering it.
CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id                   TEXT PRIMARY KEY,
    workspace_id         TEXT NOT NULL,
    url                  TEXT NOT NULL,
    event_types          TEXT,              -- JSON array; NULL: every type
    description          TEXT NOT NULL,
    enabled              INTEGER NOT NULL,
    state                TEXT NOT NULL,     -- active | failing | disabled
    secret               TEXT NOT NULL,
    previous_secret      TEXT,
    previous_until       INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    cursor               INTEGER NOT NULL,
    attempt              INTEGER NOT NULL DEFAULT 0,
    next_attempt_at      INTEGER NOT NULL DEFAULT 0,
    lease_owner          TEXT,
    lease_until          INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS webhook_endpoints_workspace ON webhook_endpoints (workspace_id, created_at);

-- Messages sent outside the feed's order: a replayed event (event_seq) or a test (NULL).
CREATE TABLE IF NOT EXISTS webhook_one_offs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id   TEXT NOT NULL,
    event_seq     INTEGER,
    message_id    TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS webhook_one_offs_endpoint ON webhook_one_offs (endpoint_id, id);

-- Every attempt: the status or error, and only the first 1 KiB of the receiver's answer.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id   TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    event_seq     INTEGER,
    event_type    TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    status_code   INTEGER,
    error         TEXT,
    duration_ms   INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    response      TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX IF NOT EXISTS webhook_deliveries_created ON webhook_deliveries (created_at);
