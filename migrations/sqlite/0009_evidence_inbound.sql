-- Consent evidence (docs/consent.md#evidence): how each event of the change feed came
-- about, as one JSON object {"source", "ip", "user_agent", "request_id", "consent",
-- "provider"?} under the event's seq. A table of its own rather than a column, so this
-- migration is safe to run again (a test rewinds user_version and re-applies later
-- migrations; SQLite has no ADD COLUMN IF NOT EXISTS). Events stored before it have no
-- row here and show the source their actor implies. Pruning deletes both.
CREATE TABLE IF NOT EXISTS contact_event_evidence (
    seq       INTEGER PRIMARY KEY,
    evidence  TEXT NOT NULL
) STRICT;

-- Inbound bounces and complaints (docs/consent.md#wiring-postmark-and-ses): the SHA-256
-- (hex) of each workspace's inbound secret, the capability in its inbound URLs.
CREATE TABLE IF NOT EXISTS inbound_secrets (
    workspace_id  TEXT PRIMARY KEY,
    secret_hash   TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT;
