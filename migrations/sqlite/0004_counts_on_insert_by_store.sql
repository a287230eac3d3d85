-- The contacts a write creates are added to workspace_counts by the store, once per
-- statement batch (src/store/sqlite/rows.rs, `insert_contacts`), instead of by a trigger
-- on every INSERT. An INSERT that fires a trigger writes two tables, so SQLite keeps a
-- statement journal for it: every page it touches is copied first. For a 1M-row import
-- that was 10–20% of the time. Deletes and changes of `subscribed` keep their triggers.
DROP TRIGGER workspace_counts_on_insert;
