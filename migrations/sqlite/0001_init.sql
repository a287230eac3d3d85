-- purrlist schema, SQLite. Timestamps are milliseconds since the Unix epoch.
CREATE TABLE workspaces (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    secret_sha256   BLOB NOT NULL UNIQUE,   -- the secret itself is never stored
    all_workspaces  INTEGER NOT NULL,
    read_only       INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    revoked_at      INTEGER
) STRICT;

CREATE TABLE api_key_workspaces (
    key_id        TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    PRIMARY KEY (key_id, workspace_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE contacts (
    id             TEXT NOT NULL PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces(id),
    email          TEXT NOT NULL,
    email_norm     TEXT NOT NULL,
    name           TEXT NOT NULL,
    first_name     TEXT NOT NULL,
    last_name      TEXT NOT NULL,
    subscribed     INTEGER NOT NULL,
    unsub_token    TEXT NOT NULL UNIQUE,
    custom_fields  TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL
) STRICT;

-- Two contacts of one workspace never share a normalised email.
CREATE UNIQUE INDEX contacts_workspace_email ON contacts (workspace_id, email_norm);
-- The list order, and the subscribed filter in that order.
CREATE INDEX contacts_workspace_order ON contacts (workspace_id, created_at, id);
CREATE INDEX contacts_workspace_subscribed_order ON contacts (workspace_id, subscribed, created_at, id);
