-- For comparison only (row E-S8-S1-lock): the SQL of one PUT before PostgreSQL migration 6, with the
-- feed's per-workspace advisory lock held from the event INSERT to the commit, so the
-- commits of one workspace went one at a time. WS is replaced by bench/run-postgres.
-- The PUT keeps the contact's email, so no email-holder SELECT: the store asks for the
-- holder only when the email changes (domain::target::email_to_look_up).
\set n random(1, NCONTACTS)
\set r random(1, 2000000000)
BEGIN;
SELECT id, workspace_id, name, first_name, last_name, email, subscribed, unsub_token, custom_fields, created_at, updated_at, version
  FROM contacts WHERE id = 'con_' || lpad(:n::text, 21, '0') FOR UPDATE;
UPDATE contacts AS c SET name = u.name, first_name = u.first_name, last_name = u.last_name,
  email = u.email, email_norm = u.email_norm, subscribed = u.subscribed,
  custom_fields = u.custom_fields, updated_at = u.updated_at, version = u.version
  FROM unnest(ARRAY['con_' || lpad(:n::text, 21, '0')]::text[], ARRAY['n' || :r]::text[], ARRAY['']::text[],
    ARRAY['']::text[], ARRAY['c' || :n || '@bench.example']::text[], ARRAY['c' || :n || '@bench.example']::text[],
    ARRAY[true]::bool[], ARRAY['{"plan":"pro"}']::text[], ARRAY[1800000000000]::int8[], ARRAY[2]::int8[])
  AS u(id, name, first_name, last_name, email, email_norm, subscribed, custom_fields, updated_at, version)
  WHERE c.id = u.id;
SELECT pg_advisory_xact_lock(25974, hashtext('WS'));
INSERT INTO contact_events (workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at)
  SELECT w, c, k, ch, 'api_key', 'key_bench', 1800000000000
  FROM unnest(ARRAY['WS']::text[], ARRAY['con_' || lpad(:n::text, 21, '0')]::text[], ARRAY['updated']::text[],
    ARRAY['{"name":{"old":"a","new":"b"}}']::text[]) WITH ORDINALITY AS e(w, c, k, ch, ord) ORDER BY ord;
END;
