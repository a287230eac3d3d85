-- purrlist schema, PostgreSQL. Timestamps are milliseconds since the Unix epoch (BIGINT);
-- ids and emails use the "C" collation so ordering is byte order, as in SQLite.
CREATE TABLE workspaces (
    id          TEXT COLLATE "C" PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id              TEXT COLLATE "C" PRIMARY KEY,
    name            TEXT NOT NULL,
    secret_sha256   BYTEA NOT NULL UNIQUE,   -- the secret itself is never stored
    all_workspaces  BOOLEAN NOT NULL,
    read_only       BOOLEAN NOT NULL,
    created_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);

CREATE TABLE api_key_workspaces (
    key_id        TEXT COLLATE "C" NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    workspace_id  TEXT COLLATE "C" NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    PRIMARY KEY (key_id, workspace_id)
);

CREATE TABLE contacts (
    id             TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    workspace_id   TEXT COLLATE "C" NOT NULL REFERENCES workspaces(id),
    email          TEXT NOT NULL,
    email_norm     TEXT COLLATE "C" NOT NULL,
    name           TEXT NOT NULL,
    first_name     TEXT NOT NULL,
    last_name      TEXT NOT NULL,
    subscribed     BOOLEAN NOT NULL,
    unsub_token    TEXT COLLATE "C" NOT NULL UNIQUE,
    custom_fields  TEXT NOT NULL,             -- JSON text, so key order is kept exactly
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    version        BIGINT NOT NULL
);

-- Two contacts of one workspace never share a normalised email.
CREATE UNIQUE INDEX contacts_workspace_email ON contacts (workspace_id, email_norm);
-- The list order, and the subscribed filter in that order.
CREATE INDEX contacts_workspace_order ON contacts (workspace_id, created_at, id);
CREATE INDEX contacts_workspace_subscribed_order ON contacts (workspace_id, subscribed, created_at, id);
