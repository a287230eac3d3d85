//! Seeds a benchmark database: workspace A with `--contacts` contacts, workspace B with
//! `--small` contacts and one all-workspace key. Creates and migrates through
//! `purrlist::store::open`, then writes rows directly in big transactions (the seed time
//! is not measured). Writes `key`, `workspace_a`, `workspace_b` and `ids_a.tsv`
//! (id, email per line) into `--out`.

use purrlist::domain::api_key::WorkspaceGrant;
use purrlist::domain::ids::{ContactId, UnsubToken};
use purrlist::domain::timestamp::Timestamp;
use purrlist::store::{self, StoreOptions};
use rusqlite::{Connection, params};
use std::io::Write;
use std::path::PathBuf;

struct Args {
    db: PathBuf,
    out: PathBuf,
    contacts: usize,
    small: usize,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut args = Args {
        db: PathBuf::from("bench.db"),
        out: PathBuf::from("."),
        contacts: 100_000,
        small: 1_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--db" => args.db = value.into(),
            "--out" => args.out = value.into(),
            "--contacts" => args.contacts = value.parse()?,
            "--small" => args.small = value.parse()?,
            _ => anyhow::bail!("unknown flag {flag}"),
        }
    }
    Ok(args)
}

fn insert_contacts(
    conn: &mut Connection,
    workspace: &str,
    count: usize,
    prefix: &str,
    ids: &mut dyn Write,
) -> anyhow::Result<()> {
    // Spread createdAt over the past so the list order is not insertion order.
    let start = Timestamp::now().millis() - count as i64 * 10;
    for chunk_start in (0..count).step_by(50_000) {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO contacts (id, workspace_id, name, first_name, last_name, email, email_norm, \
                 subscribed, unsub_token, custom_fields, created_at, updated_at, version) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7, ?8, ?9, ?10, ?10, 1)",
            )?;
            for i in chunk_start..(chunk_start + 50_000).min(count) {
                let id = ContactId::generate();
                let email = format!("{prefix}{i}@example.com");
                let fields = format!(r#"{{"plan":"{}","seq":{i}}}"#, ["free", "pro"][i % 2]);
                insert.execute(params![
                    id.as_str(),
                    workspace,
                    format!("Contact {i}"),
                    "Contact",
                    format!("N{i}"),
                    email,
                    i % 5 != 0,
                    UnsubToken::generate().as_str(),
                    fields,
                    start + i as i64 * 10,
                ])?;
                writeln!(ids, "{}\t{email}", id.as_str())?;
            }
            // The store adds inserted contacts to the counts itself (migration 0004).
            let end = (chunk_start + 50_000).min(count);
            let subscribed = (chunk_start..end).filter(|i| i % 5 != 0).count();
            tx.prepare_cached(
                "UPDATE workspace_counts SET contacts = contacts + ?2, subscribed = subscribed + ?3 \
                 WHERE workspace_id = ?1",
            )?
            .execute(params![workspace, end - chunk_start, subscribed])?;
        }
        tx.commit()?;
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = parse_args()?;
    std::fs::create_dir_all(&args.out)?;
    let url = format!("sqlite://{}", args.db.display());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (a, b, secret) = runtime.block_on(async {
        let store = store::open(&url, &StoreOptions::default()).await?;
        let now = Timestamp::now();
        let a = store.create_workspace("bench A".to_owned(), now).await?;
        let b = store.create_workspace("bench B".to_owned(), now).await?;
        let (_, secret) =
            purrlist::app::create_key(&*store, "bench".to_owned(), WorkspaceGrant::All, false)
                .await?;
        anyhow::Ok((a.id, b.id, secret))
    })?;
    drop(runtime);
    let mut conn = Connection::open(&args.db)?;
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;")?;
    let mut ids = std::io::BufWriter::new(std::fs::File::create(args.out.join("ids_a.tsv"))?);
    insert_contacts(&mut conn, a.as_str(), args.contacts, "user", &mut ids)?;
    insert_contacts(
        &mut conn,
        b.as_str(),
        args.small,
        "small",
        &mut std::io::sink(),
    )?;
    ids.flush()?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    std::fs::write(args.out.join("key"), secret.expose())?;
    std::fs::write(args.out.join("workspace_a"), a.as_str())?;
    std::fs::write(args.out.join("workspace_b"), b.as_str())?;
    println!(
        "seeded {} + {} contacts into {}",
        args.contacts,
        args.small,
        args.db.display()
    );
    Ok(())
}
