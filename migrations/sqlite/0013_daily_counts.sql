-- The dashboard chart's rollup of the change feed (src/store/daily_counts.rs): per
-- workspace and UTC day what happened, and per workspace the last event counted. Derived
-- from the feed: it may be dropped and rebuilt from it; `purrlist copy` does not copy it.
CREATE TABLE IF NOT EXISTS daily_counts (
    workspace_id  TEXT NOT NULL,
    day           INTEGER NOT NULL,
    gained        INTEGER NOT NULL DEFAULT 0,
    lost          INTEGER NOT NULL DEFAULT 0,
    created       INTEGER NOT NULL DEFAULT 0,
    unsubscribed  INTEGER NOT NULL DEFAULT 0,
    bounced       INTEGER NOT NULL DEFAULT 0,
    deleted       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, day)
) STRICT, WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS daily_count_cursors (
    workspace_id  TEXT NOT NULL PRIMARY KEY,
    after_seq     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
