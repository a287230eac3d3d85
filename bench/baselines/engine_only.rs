//! Baseline 2, the storage ceiling: a plain loop over SQLite with the schema, pragmas and
//! SQL purrlist uses, and no HTTP. Prints one JSON object.
//!
//! `bench-engine-only --db PATH --ids FILE --workspace WKS --sync full|normal
//!  --mode updates|bulk|queries|import [--batch N] [--seconds S] [--rows N]`
//!
//! `import` needs no `--ids`: it loads `--rows` new contacts into the (empty) workspace
//! the way `purrlist import` does, as the floor for M3.

/// The allocator purrlist runs on (src/main.rs), for Rust and SQLite alike.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use rand::RngExt;
use rand::seq::IndexedRandom;
use rusqlite::{Connection, params};
use serde_json::json;
use std::time::{Duration, Instant};

/// The columns the store reads for a contact (src/store/sqlite/rows.rs).
const COLUMNS: &str = "id, workspace_id, name, first_name, last_name, email, subscribed, \
     unsub_token, custom_fields, created_at, updated_at, version";
/// A PUT that keeps email and subscribed sets only the other columns (rows.rs).
const UPDATE_KEEPING_EMAIL: &str = "UPDATE contacts SET name = ?2, first_name = ?3, last_name = ?4, \
     custom_fields = ?5, updated_at = ?6, version = ?7 WHERE id = ?1";
const UPDATE: &str = "UPDATE contacts SET name = ?2, first_name = ?3, last_name = ?4, email = ?5, \
     email_norm = ?6, subscribed = ?7, custom_fields = ?8, updated_at = ?9, version = ?10 WHERE id = ?1";
/// Every write that changes a contact records its event in the same transaction (events.rs).
const INSERT_EVENT: &str = "INSERT INTO contact_events (workspace_id, contact_id, kind, changes, \
     actor_type, actor_key_id, created_at) VALUES (?1, ?2, ?3, ?4, 'api_key', ?5, ?6)";
/// The writer runs each request's write but the first of a group in its own savepoint
/// (writer.rs): the first is undone by rolling the whole transaction back.
const SAVEPOINT: [&str; 2] = ["SAVEPOINT job", "RELEASE job"];
/// The store adds created contacts to the counts once per chunk (rows.rs, migration 0004).
const ADD_TO_COUNTS: &str = "UPDATE workspace_counts SET contacts = contacts + ?2, \
     subscribed = subscribed + ?3 WHERE workspace_id = ?1";
/// `purrlist import`: 1000-row chunks, 50 per commit (src/cli/import_chunks.rs), with the
/// bulk-load profile's writer cache (src/store/sqlite/mod.rs).
const IMPORT_CHUNK: usize = 1000;
const IMPORT_CHUNKS_PER_COMMIT: usize = 50;
const BULK_LOAD_CACHE_KIB: u32 = 256_000;
const INSERT: &str = "INSERT INTO contacts (id, workspace_id, name, first_name, last_name, email, \
     email_norm, subscribed, unsub_token, custom_fields, created_at, updated_at, version) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";

struct Args {
    db: String,
    ids: String,
    workspace: String,
    sync: String,
    mode: String,
    batch: usize,
    seconds: f64,
    rows: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        db: String::new(),
        ids: String::new(),
        workspace: String::new(),
        sync: "full".to_owned(),
        mode: "updates".to_owned(),
        batch: 1,
        seconds: 5.0,
        rows: 100_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let v = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--db" => a.db = v,
            "--ids" => a.ids = v,
            "--workspace" => a.workspace = v,
            "--sync" => a.sync = v,
            "--mode" => a.mode = v,
            "--batch" => a.batch = v.parse::<usize>()?.max(1),
            "--seconds" => a.seconds = v.parse()?,
            "--rows" => a.rows = v.parse()?,
            _ => anyhow::bail!("unknown flag {flag}"),
        }
    }
    Ok(a)
}

/// The pragmas of `SqliteStore::open` (src/store/sqlite/mod.rs).
fn open(a: &Args) -> anyhow::Result<Connection> {
    let conn = Connection::open(&a.db)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    let cache_kib = if a.mode == "import" {
        // The bulk-load profile also keeps statement journals in memory.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        BULK_LOAD_CACHE_KIB
    } else {
        16_000
    };
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = {}; PRAGMA cache_size = -{cache_kib};",
        a.sync.to_uppercase()
    ))?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

fn load_ids(path: &str) -> anyhow::Result<Vec<(String, String)>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(id, email)| (id.to_owned(), email.to_owned()))
        .collect())
}

fn event(
    conn: &Connection,
    ws: &str,
    id: &str,
    kind: &str,
    changes: &serde_json::Value,
    now: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(INSERT_EVENT)?.execute(params![
        ws,
        id,
        kind,
        changes.to_string(),
        "key_bench",
        now
    ])?;
    Ok(())
}

/// Reads the row as the store does, writes it back with a new name and records the
/// event, inside a savepoint unless it is the first of its transaction, as the writer does.
fn update_one(
    conn: &Connection,
    id: &str,
    name: &str,
    now: i64,
    savepoint: bool,
) -> rusqlite::Result<()> {
    if savepoint {
        conn.prepare_cached(SAVEPOINT[0])?.execute([])?;
    }
    let (ws, old, first, last, fields, version): (String, String, String, String, String, i64) =
        conn.prepare_cached(&format!("SELECT {COLUMNS} FROM contacts WHERE id = ?1"))?
            .query_row([id], |r| {
                Ok((
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(8)?,
                    r.get(11)?,
                ))
            })?;
    conn.prepare_cached(UPDATE_KEEPING_EMAIL)?.execute(params![
        id,
        name,
        first,
        last,
        fields,
        now,
        version + 1
    ])?;
    let changes = json!({"name": {"old": old, "new": name}});
    event(conn, &ws, id, "updated", &changes, now)?;
    if savepoint {
        conn.prepare_cached(SAVEPOINT[1])?.execute([])?;
    }
    Ok(())
}

fn updates(
    a: &Args,
    conn: &Connection,
    ids: &[(String, String)],
) -> anyhow::Result<serde_json::Value> {
    let mut rng = rand::rng();
    let deadline = Instant::now() + Duration::from_secs_f64(a.seconds);
    let started = Instant::now();
    let mut done = 0u64;
    while Instant::now() < deadline {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        for n in 0..a.batch {
            let (id, _) = ids
                .choose(&mut rng)
                .ok_or_else(|| anyhow::anyhow!("no ids"))?;
            let name = format!("n{}", rng.random::<u32>());
            update_one(
                conn,
                id,
                &name,
                purrlist::domain::timestamp::Timestamp::now().millis(),
                n > 0,
            )?;
        }
        conn.execute_batch("COMMIT")?;
        done += a.batch as u64;
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(
        json!({"mode": "updates", "batch": a.batch, "sync": a.sync, "ops": done, "seconds": secs, "rate": done as f64 / secs}),
    )
}

/// 1000-row transactions, half new contacts and half existing ones, with the store's SQL:
/// one read of every touched row, then one UPDATE or INSERT per row.
fn bulk(
    a: &Args,
    conn: &Connection,
    ids: &[(String, String)],
) -> anyhow::Result<serde_json::Value> {
    let mut rng = rand::rng();
    let tag: u32 = rng.random();
    let deadline = Instant::now() + Duration::from_secs_f64(a.seconds);
    let started = Instant::now();
    let (mut rows, mut serial) = (0u64, 0u64);
    while Instant::now() < deadline {
        let existing: Vec<&(String, String)> = ids.sample(&mut rng, 500).collect();
        let mut new_emails = Vec::with_capacity(500);
        for _ in 0..500 {
            serial += 1;
            new_emails.push(format!("engine-{tag}-{serial}@bench.example"));
        }
        let emails: Vec<&str> = existing
            .iter()
            .map(|(_, e)| e.as_str())
            .chain(new_emails.iter().map(String::as_str))
            .collect();
        let now = purrlist::domain::timestamp::Timestamp::now().millis();
        conn.execute_batch("BEGIN IMMEDIATE")?;
        {
            let mut read = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM contacts WHERE workspace_id = ?1 AND \
                 (id IN (SELECT value FROM json_each(?2)) OR email_norm IN (SELECT value FROM json_each(?3)))"
            ))?;
            let found: Vec<(String, String, i64)> = read
                .query_map(
                    params![a.workspace, "[]", serde_json::to_string(&emails)?],
                    |r| Ok((r.get(0)?, r.get(5)?, r.get(11)?)),
                )?
                .collect::<Result<_, _>>()?;
            let mut update = conn.prepare_cached(UPDATE)?;
            for (id, email, version) in &found {
                let changes = json!({"name": {"old": "", "new": "Bulk name"}});
                event(conn, &a.workspace, id, "updated", &changes, now)?;
                update.execute(params![
                    id,
                    "Bulk name",
                    "Bulk",
                    "Name",
                    email,
                    email,
                    true,
                    "{}",
                    now,
                    version + 1
                ])?;
            }
            let mut insert = conn.prepare_cached(INSERT)?;
            for email in &new_emails {
                let id = format!("con_{}", purrlist::domain::ids::random_body(21));
                let token = purrlist::domain::ids::random_body(21);
                let changes = json!({"name": {"old": null, "new": "New"}, "first_name": {"old": null, "new": ""},
                    "last_name": {"old": null, "new": ""}, "email": {"old": null, "new": email},
                    "subscribed": {"old": null, "new": true}, "custom_fields": {"old": null, "new": {}}});
                event(conn, &a.workspace, &id, "created", &changes, now)?;
                insert.execute(params![
                    id,
                    a.workspace,
                    "New",
                    "",
                    "",
                    email,
                    email,
                    true,
                    token,
                    "{}",
                    now,
                    now,
                    1
                ])?;
            }
            conn.prepare_cached(ADD_TO_COUNTS)?.execute(params![
                a.workspace,
                new_emails.len(),
                new_emails.len()
            ])?;
        }
        conn.execute_batch("COMMIT")?;
        rows += 1000;
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(
        json!({"mode": "bulk", "sync": a.sync, "rows": rows, "seconds": secs, "rate": rows as f64 / secs}),
    )
}

/// `purrlist import` of `--rows` new contacts with its SQL and none of its parsing or
/// planning: per 1000-row chunk the read of the touched rows by email (none are there),
/// then an INSERT and a `created` event per row and one counts update; 50 chunks per
/// commit. The rows look like `bench/tools/contacts_csv.py`'s.
fn import(a: &Args, conn: &Connection) -> anyhow::Result<serde_json::Value> {
    let started = Instant::now();
    let now = purrlist::domain::timestamp::Timestamp::now().millis();
    let mut written = 0usize;
    while written < a.rows {
        conn.execute_batch("BEGIN IMMEDIATE")?;
        for _ in 0..IMPORT_CHUNKS_PER_COMMIT {
            let chunk: Vec<usize> = (written..(written + IMPORT_CHUNK).min(a.rows)).collect();
            if chunk.is_empty() {
                break;
            }
            import_chunk(a, conn, &chunk, now)?;
            written += chunk.len();
        }
        conn.execute_batch("COMMIT")?;
    }
    let secs = started.elapsed().as_secs_f64();
    Ok(
        json!({"mode": "import", "sync": a.sync, "rows": written, "seconds": secs, "rate": written as f64 / secs}),
    )
}

fn import_chunk(a: &Args, conn: &Connection, chunk: &[usize], now: i64) -> anyhow::Result<()> {
    let emails: Vec<String> = chunk
        .iter()
        .map(|i| format!("cat{i}@example.com"))
        .collect();
    let found = conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM contacts WHERE +workspace_id = ?1 \
             AND id IN (SELECT value FROM json_each(?2)) \
             UNION SELECT {COLUMNS} FROM contacts WHERE workspace_id = ?1 \
             AND email_norm IN (SELECT value FROM json_each(?3))"
        ))?
        .query_map(
            params![a.workspace, "[]", serde_json::to_string(&emails)?],
            |r| r.get::<_, String>(0),
        )?
        .count();
    anyhow::ensure!(found == 0, "the import floor needs an empty workspace");
    let mut insert = conn.prepare_cached(INSERT)?;
    let mut subscribed = 0;
    let mut events = Vec::with_capacity(chunk.len());
    for (i, email) in chunk.iter().zip(&emails) {
        let id = purrlist::domain::ids::ContactId::generate();
        let token = purrlist::domain::ids::UnsubToken::generate();
        let (name, last) = (format!("Cat {i}"), format!("Number {i}"));
        let plan = ["free", "pro", "team", "enterprise"][i % 4];
        let fields = json!({"plan": plan, "city": "Oslo"});
        let keep = i % 7 != 0;
        subscribed += usize::from(keep);
        insert.execute(params![
            id.as_str(),
            a.workspace,
            name,
            "Cat",
            last,
            email,
            email,
            keep,
            token.as_str(),
            fields.to_string(),
            now,
            now,
            1
        ])?;
        let changes = json!({"name": {"old": null, "new": name}, "first_name": {"old": null, "new": "Cat"},
            "last_name": {"old": null, "new": last}, "email": {"old": null, "new": email},
            "subscribed": {"old": null, "new": keep}, "custom_fields": {"old": null, "new": fields}});
        events.push((id, changes));
    }
    conn.prepare_cached(ADD_TO_COUNTS)?
        .execute(params![a.workspace, chunk.len(), subscribed])?;
    // The store records the events after the rows, in item order (contacts.rs).
    for (id, changes) in events {
        conn.prepare_cached(INSERT_EVENT)?.execute(params![
            a.workspace,
            id.as_str(),
            "created",
            changes.to_string(),
            Option::<&str>::None,
            now
        ])?;
    }
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Runs `query` repeatedly for `seconds`; its per-call latencies in milliseconds.
fn time_query(
    seconds: f64,
    mut query: impl FnMut() -> rusqlite::Result<()>,
) -> anyhow::Result<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut lat = Vec::new();
    let started = Instant::now();
    while Instant::now() < deadline {
        let t = Instant::now();
        query()?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    Ok(
        json!({"rate": lat.len() as f64 / secs, "p50_ms": percentile(&lat, 0.5), "p99_ms": percentile(&lat, 0.99)}),
    )
}

/// The list and search SQL of `contacts::list`: the total, then the page.
fn page(
    conn: &Connection,
    ws: &str,
    email: Option<&str>,
    limit: i64,
    offset: i64,
) -> rusqlite::Result<()> {
    let filter = if email.is_some() {
        "workspace_id = ?1 AND email_norm = ?2"
    } else {
        "workspace_id = ?1"
    };
    let (count_sql, page_sql) = (
        format!("SELECT COUNT(*) FROM contacts WHERE {filter}"),
        format!(
            "SELECT {COLUMNS} FROM contacts WHERE {filter} ORDER BY created_at, id LIMIT ? OFFSET ?"
        ),
    );
    let mut count = conn.prepare_cached(&count_sql)?;
    let mut select = conn.prepare_cached(&page_sql)?;
    let mut rows = 0usize;
    let mut read = |r: &rusqlite::Row<'_>| -> rusqlite::Result<()> {
        let _: (String, String, String, i64) = (r.get(0)?, r.get(5)?, r.get(8)?, r.get(9)?);
        rows += 1;
        Ok(())
    };
    match email {
        Some(e) => {
            let _: i64 = count.query_row(params![ws, e], |r| r.get(0))?;
            let mut q = select.query(params![ws, e, limit, offset])?;
            while let Some(r) = q.next()? {
                read(r)?;
            }
        }
        None => {
            // The total from the counts the triggers keep (migration 0002).
            let _: i64 = conn
                .prepare_cached("SELECT contacts FROM workspace_counts WHERE workspace_id = ?1")?
                .query_row(params![ws], |r| r.get(0))?;
            let mut q = select.query(params![ws, limit, offset])?;
            while let Some(r) = q.next()? {
                read(r)?;
            }
        }
    }
    Ok(())
}

fn queries(
    a: &Args,
    conn: &Connection,
    ids: &[(String, String)],
) -> anyhow::Result<serde_json::Value> {
    let each = a.seconds / 3.0;
    let ws = a.workspace.as_str();
    let mut rng = rand::rng();
    let page1 = time_query(each, || page(conn, ws, None, 100, 0))?;
    let email = time_query(each, || {
        let (_, e) = ids
            .choose(&mut rng)
            .map_or(("", ""), |(i, e)| (i.as_str(), e.as_str()));
        page(conn, ws, Some(e), 100, 0)
    })?;
    let deep = time_query(each, || page(conn, ws, None, 100, 4999 * 100))?;
    Ok(json!({"mode": "queries", "page1": page1, "email": email, "deep": deep}))
}

fn main() -> anyhow::Result<()> {
    let a = parse_args()?;
    let conn = open(&a)?;
    if a.mode == "import" {
        println!("{}", import(&a, &conn)?);
        return Ok(());
    }
    let ids = load_ids(&a.ids)?;
    let out = match a.mode.as_str() {
        "updates" => updates(&a, &conn, &ids)?,
        "bulk" => bulk(&a, &conn, &ids)?,
        "queries" => queries(&a, &conn, &ids)?,
        other => anyhow::bail!("unknown mode {other}"),
    };
    println!("{out}");
    Ok(())
}
