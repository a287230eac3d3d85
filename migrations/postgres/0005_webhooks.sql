-- Webhooks (docs/webhooks.md): endpoints with their signing secrets (stored as they are:
-- HMAC needs them; docs/security.md), each one's position in the change feed (cursor: the
-- last event accepted), its retry state, and the lease of the node delivering it.
CREATE TABLE IF NOT EXISTS webhook_endpoints (
    id                   TEXT COLLATE "C" PRIMARY KEY,
    workspace_id         TEXT COLLATE "C" NOT NULL,
    url                  TEXT NOT NULL,
    event_types          TEXT,              -- JSON array; NULL: every type
    description          TEXT NOT NULL,
    enabled              BOOLEAN NOT NULL,
    state                TEXT NOT NULL,     -- active | failing | disabled
    secret               TEXT NOT NULL,
    previous_secret      TEXT,
    previous_until       BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    cursor               BIGINT NOT NULL,
    attempt              INTEGER NOT NULL DEFAULT 0,
    next_attempt_at      BIGINT NOT NULL DEFAULT 0,
    lease_owner          TEXT,
    lease_until          BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS webhook_endpoints_workspace ON webhook_endpoints (workspace_id, created_at);

-- Messages sent outside the feed's order: a replayed event (event_seq) or a test (NULL).
CREATE TABLE IF NOT EXISTS webhook_one_offs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id   TEXT COLLATE "C" NOT NULL,
    event_seq     BIGINT,
    message_id    TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_one_offs_endpoint ON webhook_one_offs (endpoint_id, id);

-- Every attempt: the status or error, and only the first 1 KiB of the receiver's answer.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id   TEXT COLLATE "C" NOT NULL,
    message_id    TEXT NOT NULL,
    event_seq     BIGINT,
    event_type    TEXT NOT NULL,
    attempt       INTEGER NOT NULL,
    status_code   INTEGER,
    error         TEXT,
    duration_ms   BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    response      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX IF NOT EXISTS webhook_deliveries_created ON webhook_deliveries (created_at);
