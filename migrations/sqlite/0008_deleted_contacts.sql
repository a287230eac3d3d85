-- What a deletion keeps of a contact for webhook messages built after it (docs/webhooks.md,
-- "What arrives"): the fields of the contact object its `deleted` event does not hold.
-- Written in the deletion's transaction; forgotten once the feed holds no event of it.
CREATE TABLE IF NOT EXISTS deleted_contacts (
    contact_id    TEXT PRIMARY KEY,
    workspace_id  TEXT NOT NULL,
    unsub_token   TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    deleted_at    INTEGER NOT NULL
) STRICT;
