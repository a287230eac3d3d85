-- Dashboard sessions: only the SHA-256 of each browser's secret is kept. A session dies
-- with its key (revoked: checked on every request; deleted: this foreign key).
CREATE TABLE IF NOT EXISTS sessions (
    id_sha256     BYTEA PRIMARY KEY,
    key_id        TEXT COLLATE "C" NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS sessions_key ON sessions (key_id);
