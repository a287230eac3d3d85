-- Consent evidence (docs/consent.md#evidence): how each event of the change feed came
-- about, as one JSON object {"source", "ip", "user_agent", "request_id", "consent",
-- "provider"?}. NULL for events stored before it: they show the source their actor
-- implies. Adding a nullable column does not rewrite the table. Safe to run again.
ALTER TABLE contact_events ADD COLUMN IF NOT EXISTS evidence TEXT;

-- Inbound bounces and complaints (docs/consent.md#wiring-postmark-and-ses): the SHA-256
-- (hex) of each workspace's inbound secret, the capability in its inbound URLs.
CREATE TABLE IF NOT EXISTS inbound_secrets (
    workspace_id  TEXT PRIMARY KEY,
    secret_hash   TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
