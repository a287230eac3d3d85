-- Import jobs (POST /v1/imports): one row per import run over HTTP, updated by the server
-- that runs it. A queued or running job whose heartbeat stops was left by a server that
-- stopped; the next start marks it interrupted (src/store/imports.rs).
CREATE TABLE IF NOT EXISTS imports (
    id                 TEXT PRIMARY KEY,
    workspace_id       TEXT NOT NULL REFERENCES workspaces (id),
    api_key_id         TEXT NOT NULL,     -- the key that started it
    settings           TEXT NOT NULL,     -- JSON: format, dry_run, resubscribe, skip_invalid
    format             TEXT,              -- the format read, once known
    status             TEXT NOT NULL,     -- queued | running | succeeded | failed | interrupted
    body_bytes         INTEGER NOT NULL,
    rows_read          INTEGER NOT NULL,
    bytes_read         INTEGER NOT NULL,
    rows_written       INTEGER NOT NULL,  -- committed, whole chunks in file order
    rows_in_flight     INTEGER NOT NULL,  -- handed to the database, commit not yet known
    created            INTEGER NOT NULL,
    updated            INTEGER NOT NULL,
    unchanged          INTEGER NOT NULL,
    skipped            INTEGER NOT NULL,
    kept_unsubscribed  INTEGER NOT NULL,
    report             TEXT,              -- JSON: the engine's report (renamings, bad rows…)
    error              TEXT,
    created_at         INTEGER NOT NULL,
    started_at         INTEGER,
    finished_at        INTEGER,
    heartbeat_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS imports_workspace ON imports (workspace_id, created_at);
CREATE INDEX IF NOT EXISTS imports_open ON imports (status) WHERE status IN ('queued', 'running');
