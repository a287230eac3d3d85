-- The change feed and consent record: one row per change to a contact, written in the
-- transaction of the change. seq is the feed's cursor. Sequence values are handed out in
-- call order, not commit order, so writers of one workspace take a transaction-scoped
-- advisory lock just before inserting their events (see store/postgres/events.rs): within a
-- workspace, seq order is then commit order.
CREATE TABLE contact_events (
    seq           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id  TEXT COLLATE "C" NOT NULL,
    contact_id    TEXT COLLATE "C" NOT NULL,
    kind          TEXT NOT NULL,
    changes       TEXT NOT NULL,      -- JSON text, so the field order is kept exactly
    actor_type    TEXT NOT NULL,      -- api_key | unsubscribe_link | cli
    actor_key_id  TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX contact_events_workspace ON contact_events (workspace_id, seq);
CREATE INDEX contact_events_contact ON contact_events (contact_id, seq);

-- Idempotency keys: the first answer to a request, per API key, kept 24 hours.
CREATE TABLE idempotency_keys (
    api_key_id    TEXT COLLATE "C" NOT NULL,
    idem_key      TEXT COLLATE "C" NOT NULL,
    request_hash  BYTEA NOT NULL,
    done          BOOLEAN NOT NULL,
    status        INTEGER,
    content_type  TEXT,
    etag          TEXT,
    body          BYTEA,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (api_key_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
