-- Double opt-in (docs/consent.md): one pending confirmation per contact. Asking again keeps
-- the token and moves expires_at, so every link already mailed keeps working until then.
CREATE TABLE IF NOT EXISTS confirmations (
    token         TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL,
    contact_id    TEXT NOT NULL UNIQUE,
    requested_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) STRICT;
-- The expiry task walks the oldest deadlines first.
CREATE INDEX IF NOT EXISTS confirmations_expiry ON confirmations (expires_at);

-- Publishable form keys (`pk_…`) for public sign-up forms: not secrets (they sit in web
-- pages), so kept as they are; each can only ask to subscribe an address.
CREATE TABLE IF NOT EXISTS form_keys (
    id               TEXT PRIMARY KEY,
    workspace_id     TEXT NOT NULL,
    name             TEXT NOT NULL,
    allowed_origins  TEXT NOT NULL,     -- JSON array of origins (`https://example.com`)
    redirect_url     TEXT,              -- the thank-you page of a form post
    custom_fields    TEXT NOT NULL,     -- JSON array of the custom field keys a form may set
    created_at       INTEGER NOT NULL,
    revoked_at       INTEGER
) STRICT;
CREATE INDEX IF NOT EXISTS form_keys_workspace ON form_keys (workspace_id, created_at);
