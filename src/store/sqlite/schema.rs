//! Migrations, numbered by SQLite's `user_version`; each runs once, in its own transaction.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_events_idempotency.sql"),
    include_str!("../../../migrations/sqlite/0003_workspace_counts.sql"),
    include_str!("../../../migrations/sqlite/0004_counts_on_insert_by_store.sql"),
];

/// Brings the database to the newest schema; refuses a database from a newer purrlist.
pub fn migrate(conn: &Connection) -> anyhow::Result<()> {
    let version: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > MIGRATIONS.len() {
        anyhow::bail!(
            "the database has schema version {version}, newer than this purrlist knows ({}); upgrade purrlist",
            MIGRATIONS.len()
        );
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        let tx = conn.unchecked_transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}
