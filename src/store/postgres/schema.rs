//! Migrations, recorded in `schema_migrations` (each one not recorded yet runs, in order;
//! numbers may have gaps); an advisory lock makes nodes that start
//! together migrate one at a time, so each migration runs once. One has a step in Rust:
//! recomputing `email_norm` when the normal form of emails changed.
//!
//! Each migration is one transaction that takes the lock itself (`pg_advisory_xact_lock`),
//! reads the version and applies the next migration: nothing lives in the session, so
//! migrating works through a pooler in transaction mode too (`statements`).

use crate::domain::email::normal_form;
use anyhow::Context;
use tokio_postgres::types::Type;
use tokio_postgres_rustls::MakeRustlsConnect;

const MIGRATIONS: &[(i32, &str)] = &[
    (
        1,
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        include_str!("../../../migrations/postgres/0002_events_idempotency.sql"),
    ),
    (
        3,
        include_str!("../../../migrations/postgres/0003_email_norm_idna.sql"),
    ),
    (
        4,
        include_str!("../../../migrations/postgres/0004_imports.sql"),
    ),
    (
        5,
        include_str!("../../../migrations/postgres/0005_webhooks.sql"),
    ),
    (
        6,
        include_str!("../../../migrations/postgres/0006_feed_without_lock.sql"),
    ),
    (
        7,
        include_str!("../../../migrations/postgres/0007_deleted_contacts.sql"),
    ),
    (
        8,
        include_str!("../../../migrations/postgres/0008_evidence_inbound.sql"),
    ),
    (
        9,
        include_str!("../../../migrations/postgres/0009_suppressions.sql"),
    ),
    (
        10,
        include_str!("../../../migrations/postgres/0010_double_opt_in.sql"),
    ),
    (
        11,
        include_str!("../../../migrations/postgres/0011_sessions.sql"),
    ),
    (
        12,
        include_str!("../../../migrations/postgres/0012_daily_counts.sql"),
    ),
    (
        13,
        include_str!("../../../migrations/postgres/0013_suppressions_by_address.sql"),
    ),
    (
        14,
        include_str!("../../../migrations/postgres/0014_contact_counts.sql"),
    ),
];

/// The migration after whose SQL [`recompute_email_norms`] runs.
const RECOMPUTE_EMAIL_NORMS: i32 = 3;

/// The advisory lock key migrations hold ("purrlist" in ASCII, folded to 63 bits).
const MIGRATION_LOCK: i64 = 0x7075_726c_6973_7401;

/// Brings the database to the newest schema; refuses a database from a newer purrlist.
/// Runs on its own connection.
pub async fn migrate(
    config: &tokio_postgres::Config,
    tls: MakeRustlsConnect,
) -> anyhow::Result<Vec<i32>> {
    let (mut client, connection) = config
        .connect(tls)
        .await
        .context("cannot connect to PostgreSQL")?;
    let driver = tokio::spawn(connection);
    let result = run_migrations(&mut client).await;
    drop(client);
    let _ = driver.await;
    result
}

async fn run_migrations(client: &mut tokio_postgres::Client) -> anyhow::Result<Vec<i32>> {
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    let mut applied = Vec::new();
    loop {
        let tx = client.transaction().await?;
        // Quiet the "already exists, skipping" notice every start after the first would log.
        tx.batch_execute(&format!(
            "SET LOCAL client_min_messages TO warning; \
             SELECT pg_advisory_xact_lock({MIGRATION_LOCK}); \
             CREATE TABLE IF NOT EXISTS schema_migrations (\
             version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"
        ))
        .await?;
        let recorded: Vec<i32> = tx
            .query_typed("SELECT version FROM schema_migrations", &[])
            .await?
            .iter()
            .map(|row| row.get(0))
            .collect();
        let newest = recorded.iter().copied().max().unwrap_or(0);
        if newest > known {
            anyhow::bail!(
                "the database has schema version {newest}, newer than this purrlist knows ({known}); upgrade purrlist"
            );
        }
        // The first migration not recorded yet: numbers may have gaps.
        let Some(&(version, sql)) = MIGRATIONS.iter().find(|m| !recorded.contains(&m.0)) else {
            tx.commit().await?;
            return Ok(applied);
        };
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("migration {version} failed"))?;
        if version == RECOMPUTE_EMAIL_NORMS {
            recompute_email_norms(&tx)
                .await
                .with_context(|| format!("migration {version} failed"))?;
        }
        let now = crate::domain::timestamp::Timestamp::now().millis();
        tx.query_typed(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[(&version, Type::INT4), (&now, Type::INT8)],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version, "applied PostgreSQL migration");
        applied.push(version);
    }
}

/// Gives every contact the normal form of its email under `domain::email`, in list order.
/// Only an address with a non-ASCII character can have changed. A contact whose new form
/// another contact of its workspace already holds (one mailbox stored twice, e.g. as
/// `user@bücher.de` and `user@xn--bcher-kva.de`) keeps its old form and is logged, so
/// nothing is merged or lost: docs/api.md, "Emails".
async fn recompute_email_norms(tx: &tokio_postgres::Transaction<'_>) -> anyhow::Result<()> {
    let rows = tx
        .query_typed(
            "SELECT id, workspace_id, email, email_norm FROM contacts \
             WHERE octet_length(email) <> char_length(email) ORDER BY created_at, id",
            &[],
        )
        .await?;
    for row in rows {
        let (id, workspace, email, old): (String, String, String, String) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        );
        let new = normal_form(&email);
        if new == old {
            continue;
        }
        let holder = tx
            .query_typed_opt(
                "SELECT id FROM contacts WHERE workspace_id = $1 AND email_norm = $2",
                &[(&workspace, Type::TEXT), (&new, Type::TEXT)],
            )
            .await?;
        match holder {
            Some(other) => tracing::warn!(
                contact = %id, same_mailbox_as = %other.try_get::<_, String>(0)?,
                "two contacts hold one mailbox under the new email normal form; this one keeps the old form (merge or delete one)"
            ),
            None => {
                tx.query_typed(
                    "UPDATE contacts SET email_norm = $2 WHERE id = $1",
                    &[(&id, Type::TEXT), (&new, Type::TEXT)],
                )
                .await?;
            }
        }
    }
    Ok(())
}
