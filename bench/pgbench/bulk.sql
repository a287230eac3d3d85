-- S8 engine baseline for S3: the PostgreSQL store's bulk upsert of 1000 contacts (500
-- existing by email, 500 new) in one transaction (src/store/postgres/bulk.rs): lock the
-- touched rows, update them, insert the new ones, insert 1000 events (no feed lock since
-- PostgreSQL migration 6; each event's feed_xid computed as src/store/postgres/events.rs does).
-- The row sets are built in SQL from generate_series (the store sends them as arrays).
\set b random(0, NCONTACTS - 1)
\set r random(1, 2000000000)
BEGIN;
SELECT id, workspace_id, name, first_name, last_name, email, subscribed, unsub_token, custom_fields, created_at, updated_at, version
  FROM contacts WHERE workspace_id = 'WS' AND (id = ANY(ARRAY[]::text[]) OR email_norm = ANY(ARRAY(
    SELECT 'c' || ((:b + g * 197) % NCONTACTS + 1) || '@bench.example' FROM generate_series(1, 500) g
    UNION ALL SELECT 'new-' || :r || '-' || g || '@bench.example' FROM generate_series(1, 500) g)))
  ORDER BY id FOR UPDATE;
UPDATE contacts AS c SET name = u.name, first_name = u.first_name, last_name = u.last_name,
  email = u.email, email_norm = u.email_norm, subscribed = u.subscribed,
  custom_fields = u.custom_fields, updated_at = u.updated_at, version = u.version
  FROM (SELECT 'con_' || lpad(((:b + g * 197) % NCONTACTS + 1)::text, 21, '0') AS id, 'b' || :r AS name,
    '' AS first_name, '' AS last_name, 'c' || ((:b + g * 197) % NCONTACTS + 1) || '@bench.example' AS email,
    'c' || ((:b + g * 197) % NCONTACTS + 1) || '@bench.example' AS email_norm, true AS subscribed,
    '{}' AS custom_fields, 1800000000000::int8 AS updated_at, 2::int8 AS version
    FROM generate_series(1, 500) g) AS u
  WHERE c.id = u.id;
INSERT INTO contacts (id, workspace_id, name, first_name, last_name, email, email_norm, subscribed,
    unsub_token, custom_fields, created_at, updated_at, version)
  SELECT 'con_' || substr(md5(:r || '-' || g), 1, 21), 'WS', 'New', '', '',
    'new-' || :r || '-' || g || '@bench.example', 'new-' || :r || '-' || g || '@bench.example', true,
    md5('t' || :r || '-' || g), '{}', 1800000000000, 1800000000000, 1
  FROM generate_series(1, 500) g ORDER BY 6
  ON CONFLICT (workspace_id, email_norm) DO NOTHING;
INSERT INTO contact_events (workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at, feed_xid)
  SELECT 'WS', e.c, CASE WHEN e.g <= 500 THEN 'updated' ELSE 'created' END,
    '{"name":{"old":"a","new":"b"}}', 'api_key', 'key_bench', 1800000000000, GREATEST(me.xid, COALESCE(
    (SELECT p.feed_xid FROM contact_events p WHERE p.contact_id = e.c ORDER BY p.seq DESC LIMIT 1), 0))
  FROM (SELECT g, 'con_' || lpad(g::text, 21, '0') AS c FROM generate_series(1, 1000) g) e,
    (SELECT pg_current_xact_id()::text::bigint AS xid) me ORDER BY e.g;
END;
