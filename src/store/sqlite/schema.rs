//! Migrations, numbered by SQLite's `user_version`; each runs once, in its own transaction.
//! Two have a step in Rust: recomputing `email_norm` when the normal form of emails
//! changed, and adding columns (`ADDED_COLUMNS`), which SQLite cannot do "if not exists".

use crate::domain::email::normal_form;
use rusqlite::{Connection, OptionalExtension, params};

const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_events_idempotency.sql"),
    include_str!("../../../migrations/sqlite/0003_workspace_counts.sql"),
    include_str!("../../../migrations/sqlite/0004_counts_on_insert_by_store.sql"),
    include_str!("../../../migrations/sqlite/0005_email_norm_idna.sql"),
    include_str!("../../../migrations/sqlite/0006_imports.sql"),
    include_str!("../../../migrations/sqlite/0007_webhooks.sql"),
    include_str!("../../../migrations/sqlite/0008_deleted_contacts.sql"),
    include_str!("../../../migrations/sqlite/0009_evidence_inbound.sql"),
    include_str!("../../../migrations/sqlite/0010_suppressions.sql"),
    include_str!("../../../migrations/sqlite/0011_double_opt_in.sql"),
    include_str!("../../../migrations/sqlite/0012_sessions.sql"),
    include_str!("../../../migrations/sqlite/0013_daily_counts.sql"),
    include_str!("../../../migrations/sqlite/0014_suppressions_by_address.sql"),
    include_str!("../../../migrations/sqlite/0015_delivery_runs.sql"),
];

/// The migration (1-based) after whose SQL [`recompute_email_norms`] runs.
const RECOMPUTE_EMAIL_NORMS: usize = 5;

/// Columns added after a migration's SQL (1-based): migration, table, column, definition;
/// each only if the table does not have it yet.
const ADDED_COLUMNS: &[(usize, &str, &str, &str)] = &[
    (
        15,
        "webhook_deliveries",
        "span",
        "INTEGER NOT NULL DEFAULT 1",
    ),
    (15, "webhook_deliveries", "run", "BLOB"),
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
        if index + 1 == RECOMPUTE_EMAIL_NORMS {
            recompute_email_norms(&tx)?;
        }
        for (_, table, column, definition) in ADDED_COLUMNS.iter().filter(|c| c.0 == index + 1) {
            let present: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
                params![table, column],
                |r| r.get(0),
            )?;
            if !present {
                tx.execute_batch(&format!(
                    "ALTER TABLE {table} ADD COLUMN {column} {definition}"
                ))?;
            }
        }
        tx.pragma_update(None, "user_version", index + 1)?;
        tx.commit()?;
    }
    Ok(())
}

/// Gives every contact the normal form of its email under `domain::email`, in list order.
/// Only an address with a non-ASCII character can have changed. A contact whose new form
/// another contact of its workspace already holds (one mailbox stored twice, e.g. as
/// `user@bücher.de` and `user@xn--bcher-kva.de`) keeps its old form and is logged, so
/// nothing is merged or lost: docs/api.md, "Emails".
fn recompute_email_norms(conn: &Connection) -> anyhow::Result<()> {
    let mut select = conn.prepare(
        "SELECT id, workspace_id, email, email_norm FROM contacts \
         WHERE length(CAST(email AS BLOB)) <> length(email) ORDER BY created_at, id",
    )?;
    let rows = select
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<Vec<(String, String, String, String)>, _>>()?;
    let mut holder =
        conn.prepare("SELECT id FROM contacts WHERE workspace_id = ?1 AND email_norm = ?2")?;
    let mut update = conn.prepare("UPDATE contacts SET email_norm = ?2 WHERE id = ?1")?;
    for (id, workspace, email, old) in rows {
        let new = normal_form(&email);
        if new == old {
            continue;
        }
        let held: Option<String> = holder
            .query_row(params![workspace, new], |r| r.get(0))
            .optional()?;
        match held {
            Some(other) => tracing::warn!(
                contact = %id, same_mailbox_as = %other,
                "two contacts hold one mailbox under the new email normal form; this one keeps the old form (merge or delete one)"
            ),
            None => {
                update.execute(params![id, new])?;
            }
        }
    }
    Ok(())
}
