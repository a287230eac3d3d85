-- Dashboard sessions: only the SHA-256 of each browser's secret is kept. A session dies
-- with its key (revoked: checked on every request; deleted: this foreign key).
CREATE TABLE IF NOT EXISTS sessions (
    id_sha256     BLOB NOT NULL PRIMARY KEY,
    key_id        TEXT NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS sessions_key ON sessions (key_id);
