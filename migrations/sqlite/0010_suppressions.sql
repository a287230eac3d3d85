-- Suppressions (api.md §8; src/domain/suppression.rs): addresses of a workspace that must
-- not be mailed. Keyed by `id`, the hex HMAC-SHA256 of (workspace, normalised address)
-- under the database's salt, so an erased entry keeps no address (`email` is NULL) and
-- still meets the address when it comes back. Re-runnable.
CREATE TABLE IF NOT EXISTS suppressions (
    id            TEXT NOT NULL PRIMARY KEY,
    workspace_id  TEXT NOT NULL REFERENCES workspaces(id),
    email         TEXT,               -- the normalised address; NULL once erased
    reason        TEXT NOT NULL,      -- bounced | complained | erased | manual
    actor_type    TEXT NOT NULL,      -- as contact_events.actor_type
    actor_key_id  TEXT,
    created_at    INTEGER NOT NULL
) STRICT;
-- The list, newest first.
CREATE INDEX IF NOT EXISTS suppressions_workspace_order ON suppressions (workspace_id, created_at, id);

-- The key of every suppression id: one random salt per database, made by the first
-- suppression (src/store/sqlite/suppressions.rs) and carried by `purrlist copy`.
CREATE TABLE IF NOT EXISTS suppression_salt (
    singleton  INTEGER NOT NULL PRIMARY KEY CHECK (singleton = 1),
    salt       BLOB NOT NULL
) STRICT;
