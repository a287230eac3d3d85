-- The deliveries log packed into runs (src/store/webhooks/runs.rs): a row holds `span`
-- attempts whose ids end at its own; the first is in the row's columns, the others in
-- `run`. Rows written before this hold one attempt each, as they did. The two columns
--     webhook_deliveries.span INTEGER NOT NULL DEFAULT 1
--     webhook_deliveries.run  BLOB
-- are added by this migration's step in src/store/sqlite/schema.rs (`ADDED_COLUMNS`):
-- SQLite has no ADD COLUMN IF NOT EXISTS, and like every migration here this one must
-- also run over a schema that has them.
SELECT 1;
