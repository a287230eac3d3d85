//! Migrations, recorded in `schema_migrations`; an advisory lock makes nodes that start
//! together migrate one at a time, so each migration runs once.

use anyhow::Context;
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
];

/// The advisory lock key migrations hold ("purrlist" in ASCII, folded to 63 bits).
const MIGRATION_LOCK: i64 = 0x7075_726c_6973_7401;

/// Brings the database to the newest schema; refuses a database from a newer purrlist.
/// Runs on its own connection, so the session lock goes away with it whatever happens.
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
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    // Quiet the "already exists, skipping" notice every start after the first would log.
    client
        .batch_execute("SET client_min_messages TO warning")
        .await?;
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (\
             version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .await?;
    let newest: i32 = client
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            &[],
        )
        .await?
        .get(0);
    let known = MIGRATIONS.last().map_or(0, |m| m.0);
    if newest > known {
        anyhow::bail!(
            "the database has schema version {newest}, newer than this purrlist knows ({known}); upgrade purrlist"
        );
    }
    let mut applied = Vec::new();
    for &(version, sql) in MIGRATIONS.iter().filter(|m| m.0 > newest) {
        let tx = client.transaction().await?;
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("migration {version} failed"))?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[
                &version,
                &crate::domain::timestamp::Timestamp::now().millis(),
            ],
        )
        .await?;
        tx.commit().await?;
        tracing::info!(version, "applied PostgreSQL migration");
        applied.push(version);
    }
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await?;
    Ok(applied)
}
