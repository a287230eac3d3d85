-- The dashboard chart's rollup of the change feed (src/store/daily_counts.rs): per
-- workspace and UTC day what happened, and per workspace the feed position (feed_xid, seq)
-- of the last event counted; its row is locked while a batch is counted, so two servers
-- never count an event twice. Derived from the feed: it may be dropped and rebuilt from
-- it; `purrlist copy` does not copy it.
CREATE TABLE IF NOT EXISTS daily_counts (
    workspace_id  TEXT COLLATE "C" NOT NULL,
    day           BIGINT NOT NULL,
    gained        BIGINT NOT NULL DEFAULT 0,
    lost          BIGINT NOT NULL DEFAULT 0,
    created       BIGINT NOT NULL DEFAULT 0,
    unsubscribed  BIGINT NOT NULL DEFAULT 0,
    bounced       BIGINT NOT NULL DEFAULT 0,
    deleted       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, day)
);

CREATE TABLE IF NOT EXISTS daily_count_cursors (
    workspace_id  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    after_xid     BIGINT NOT NULL DEFAULT 0,
    after_seq     BIGINT NOT NULL DEFAULT 0
);
