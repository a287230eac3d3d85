//! Fixed floors (issue 18): what this machine's SQLite does for the essential work of
//! purrlist's writes on a schema that is NOT purrlist's, so a design choice in purrlist's
//! schema cannot hide in its own floor. The schema and the loops are written down in the
//! issue and here; they never follow src/store. Prints one JSON object.
//!
//! `bench-floors --db PATH --mode plain|essential|import [--rows N] [--seconds S]`
//!
//! - `plain`: `--rows` contacts (default 100,000, seeded unmeasured), then random updates
//!   by id of name, custom_fields and updated_at, 64 per transaction.
//! - `essential`: the same, plus per update a read of the row first and one row appended
//!   to `events` (the essential work of a durable update that keeps a change record).
//! - `import`: `--rows` new contacts (default 1,000,000), each with one `created` event,
//!   50,000 per transaction.
//!
//! All in WAL mode, `synchronous=FULL`, default checkpointing, SQLite's default cache.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use rand::RngExt;
use rusqlite::{Connection, params};
use serde_json::json;
use std::time::{Duration, Instant};

const SCHEMA: &str = "
CREATE TABLE contacts (
    id TEXT PRIMARY KEY, workspace TEXT NOT NULL, name TEXT, first_name TEXT,
    last_name TEXT, email TEXT NOT NULL, email_norm TEXT NOT NULL,
    subscribed INTEGER NOT NULL, unsub_token TEXT NOT NULL UNIQUE, custom_fields TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE UNIQUE INDEX contacts_email ON contacts (workspace, email_norm);
CREATE INDEX contacts_created ON contacts (workspace, created_at, id);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY, workspace TEXT NOT NULL, contact_id TEXT NOT NULL,
    kind TEXT NOT NULL, changes TEXT NOT NULL, at TEXT NOT NULL
);
CREATE INDEX events_contact ON events (contact_id, seq);
";
const INSERT: &str =
    "INSERT INTO contacts VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, ?8, ?9, ?10, ?10)";
const INSERT_EVENT: &str =
    "INSERT INTO events (workspace, contact_id, kind, changes, at) VALUES (?1, ?2, ?3, ?4, ?5)";
const READ: &str = "SELECT name, first_name, last_name, email, subscribed, custom_fields, \
     updated_at FROM contacts WHERE id = ?1";
const UPDATE: &str =
    "UPDATE contacts SET name = ?2, custom_fields = ?3, updated_at = ?4 WHERE id = ?1";
const WORKSPACE: &str = "wks_floorfloorfloorflo";
const UPDATES_PER_COMMIT: usize = 64;
const IMPORT_ROWS_PER_COMMIT: usize = 50_000;

struct Args {
    db: String,
    mode: String,
    rows: Option<usize>,
    seconds: f64,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        db: String::new(),
        mode: String::new(),
        rows: None,
        seconds: 5.0,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--db" => a.db = v,
            "--mode" => a.mode = v,
            "--rows" => a.rows = Some(v.parse()?),
            "--seconds" => a.seconds = v.parse()?,
            _ => anyhow::bail!("unknown flag {flag}"),
        }
    }
    anyhow::ensure!(!a.db.is_empty(), "--db is required");
    Ok(a)
}

/// A 25-character id like purrlist's (`con_` + 21), from a counter, so ids are unique.
fn id(prefix: &str, n: usize) -> String {
    format!("{prefix}{n:021}")
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn open(path: &str) -> anyhow::Result<Connection> {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{path}{suffix}"));
    }
    let conn = Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;")?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// Inserts contacts `from..to`, each with its `created` event when `events` is set, in
/// transactions of `per_commit` rows.
fn insert(
    conn: &mut Connection,
    from: usize,
    to: usize,
    per_commit: usize,
    events: bool,
) -> anyhow::Result<()> {
    let mut n = from;
    while n < to {
        let tx = conn.transaction()?;
        {
            let mut contact = tx.prepare_cached(INSERT)?;
            let mut event = tx.prepare_cached(INSERT_EVENT)?;
            for n in n..(n + per_commit).min(to) {
                let (cid, at) = (id("con_", n), now());
                let email = format!("person{n}@example.com");
                let fields = format!("{{\"plan\":\"pro\",\"n\":{n}}}");
                contact.execute(params![
                    cid,
                    WORKSPACE,
                    format!("Person {n}"),
                    "Person",
                    n.to_string(),
                    email,
                    email,
                    id("tok_", n)[4..].to_owned(),
                    fields,
                    at,
                ])?;
                if events {
                    let changes = json!({"email": email, "name": format!("Person {n}"),
                        "subscribed": true, "custom_fields": {"plan": "pro", "n": n}});
                    event.execute(params![WORKSPACE, cid, "created", changes.to_string(), at])?;
                }
            }
        }
        tx.commit()?;
        n = (n + per_commit).min(to);
    }
    Ok(())
}

/// Random updates by id for `seconds`, 64 per transaction; `essential` reads each row
/// first and appends one event per update. Returns (updates, seconds).
fn updates(
    conn: &mut Connection,
    rows: usize,
    seconds: f64,
    essential: bool,
) -> anyhow::Result<(usize, f64)> {
    let mut rng = rand::rng();
    let (start, limit) = (Instant::now(), Duration::from_secs_f64(seconds));
    let mut done = 0usize;
    while start.elapsed() < limit {
        let tx = conn.transaction()?;
        {
            let mut read = tx.prepare_cached(READ)?;
            let mut update = tx.prepare_cached(UPDATE)?;
            let mut event = tx.prepare_cached(INSERT_EVENT)?;
            for _ in 0..UPDATES_PER_COMMIT {
                let n = rng.random_range(0..rows);
                let (cid, at) = (id("con_", n), now());
                let name = format!("Renamed {}", rng.random::<u32>());
                let fields = format!("{{\"plan\":\"team\",\"n\":{n}}}");
                if essential {
                    let _: (Option<String>, String) =
                        read.query_row([&cid], |r| Ok((r.get(0)?, r.get(3)?)))?;
                }
                update.execute(params![cid, name, fields, at])?;
                if essential {
                    let changes = json!({"name": name, "custom_fields": {"plan": "team"}});
                    event.execute(params![WORKSPACE, cid, "updated", changes.to_string(), at])?;
                }
                done += 1;
            }
        }
        tx.commit()?;
    }
    Ok((done, start.elapsed().as_secs_f64()))
}

fn main() -> anyhow::Result<()> {
    let a = parse_args()?;
    let mut conn = open(&a.db)?;
    let out = match a.mode.as_str() {
        "plain" | "essential" => {
            let rows = a.rows.unwrap_or(100_000);
            insert(&mut conn, 0, rows, IMPORT_ROWS_PER_COMMIT, false)?;
            let essential = a.mode == "essential";
            let (done, secs) = updates(&mut conn, rows, a.seconds, essential)?;
            json!({"mode": a.mode, "rows": rows, "per_commit": UPDATES_PER_COMMIT,
                   "ops": done, "seconds": secs, "rate": done as f64 / secs})
        }
        "import" => {
            let rows = a.rows.unwrap_or(1_000_000);
            let start = Instant::now();
            insert(&mut conn, 0, rows, IMPORT_ROWS_PER_COMMIT, true)?;
            let secs = start.elapsed().as_secs_f64();
            json!({"mode": "import", "rows": rows, "per_commit": IMPORT_ROWS_PER_COMMIT,
                   "seconds": secs, "rate": rows as f64 / secs})
        }
        other => anyhow::bail!("unknown --mode {other}: plain, essential or import"),
    };
    println!("{out}");
    Ok(())
}
