-- Import jobs (POST /v1/imports): one row per import run over HTTP, updated by the server
-- that runs it. A queued or running job whose heartbeat stops was left by a server that
-- stopped; the next start marks it interrupted (src/store/imports.rs).
CREATE TABLE IF NOT EXISTS imports (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    workspace_id       TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    api_key_id         TEXT NOT NULL,     -- the key that started it
    settings           TEXT NOT NULL,     -- JSON: format, dry_run, resubscribe, skip_invalid
    format             TEXT,              -- the format read, once known
    status             TEXT NOT NULL,     -- queued | running | succeeded | failed | interrupted
    body_bytes         BIGINT NOT NULL,
    rows_read          BIGINT NOT NULL,
    bytes_read         BIGINT NOT NULL,
    rows_written       BIGINT NOT NULL,  -- committed, whole chunks in file order
    rows_in_flight     BIGINT NOT NULL,  -- handed to the database, commit not yet known
    created            BIGINT NOT NULL,
    updated            BIGINT NOT NULL,
    unchanged          BIGINT NOT NULL,
    skipped            BIGINT NOT NULL,
    kept_unsubscribed  BIGINT NOT NULL,
    report             TEXT,              -- JSON: the engine's report (renamings, bad rows…)
    error              TEXT,
    created_at         BIGINT NOT NULL,
    started_at         BIGINT,
    finished_at        BIGINT,
    heartbeat_at       BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS imports_workspace ON imports (workspace_id, created_at);
CREATE INDEX IF NOT EXISTS imports_open ON imports (status) WHERE status IN ('queued', 'running');
