-- The normal form of emails changes (src/domain/email.rs): domains go to their IDNA
-- A-label form and only ASCII letters are lower-cased, so `user@bücher.de` and
-- `user@xn--bcher-kva.de` are one contact and `\u212Aate@…` is not `kate@…`. Only
-- addresses with a non-ASCII character can change; the runner recomputes their
-- `email_norm` in Rust after this file (src/store/postgres/schema.rs, `recompute_email_norms`),
-- in the same transaction. There is no schema change.
SELECT 1;
