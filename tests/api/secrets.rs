//! Secrets (reliability.md §6): API keys exist at rest only as SHA-256 hashes and never reach
//! the log, even at the most verbose log level; unsubscribe tokens look uniformly random.
//! Runs the real binary, with its log captured to a file.

use crate::reply::send;
use reqwest::Method;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) struct LoggedServer {
    child: Child,
    pub(crate) address: String,
    workspace: String,
    key: String,
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn purrlist(database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_purrlist"));
    command
        .env_remove("PURRLIST_DATABASE_URL")
        .env_remove("PURRLIST_CONFIG")
        .env("PURRLIST_KEY_CACHE_SECONDS", "0")
        .env("PURRLIST_LOG", "trace")
        .args(["--database", database]);
    command
}

/// First start of `serve` on an empty database, every log line (stderr) going to `log`.
fn start(database: &str, log: &Path) -> LoggedServer {
    start_logging(database, log, "trace")
}

/// `start`, logging what the `PURRLIST_LOG` filter `filter` lets through.
pub(crate) fn start_logging(database: &str, log: &Path, filter: &str) -> LoggedServer {
    let mut child = purrlist(database)
        .env("PURRLIST_LOG", filter)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(File::create(log).expect("log file"))
        .spawn()
        .expect("start serve");
    let stdout = child.stdout.take();
    // Owned at once, so a failed start still kills the process.
    let mut server = LoggedServer {
        child,
        address: String::new(),
        workspace: String::new(),
        key: String::new(),
    };
    let (sender, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout.expect("stdout"))
            .lines()
            .map_while(Result::ok)
        {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .expect("serve prints its address");
        let text = line.trim();
        if let Some(v) = text.strip_prefix("workspace:") {
            server.workspace = v.trim().to_owned();
        } else if let Some(v) = text.strip_prefix("api key:") {
            server.key = v.trim().to_owned();
        } else if let Some(address) = text.strip_prefix("purrlist listening on ") {
            server.address = address.to_owned();
            return server;
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The database file and its WAL and shared-memory companions, as they are now.
fn database_files(path: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", path.display())))
        .filter_map(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes)))
        .collect()
}

/// The keys a run used: the first-start key, a CLI-made key, and one that does not exist.
struct UsedKeys {
    first: String,
    second: String,
    unknown: String,
}

impl UsedKeys {
    fn all(&self) -> [&String; 3] {
        [&self.first, &self.second, &self.unknown]
    }

    /// SHA-256 of the two real keys, as the database should hold them.
    fn expected_hashes(&self) -> HashSet<Vec<u8>> {
        [&self.first, &self.second]
            .iter()
            .map(|k| Sha256::digest(k.as_bytes()).to_vec())
            .collect()
    }
}

/// Starts the binary on `database` with its log in `log`, makes a second key with the CLI,
/// uses every key (good and bad) on reads and a write, calls `while_running` (to read the
/// database while the server has it open), stops the server, and checks the CLI's and the
/// server's logs hold no key.
async fn use_keys(database: &str, log: &Path, while_running: impl FnOnce()) -> UsedKeys {
    let server = start(database, log);
    let created = purrlist(database)
        .args(["key", "create", "--read-only", "--name", "second"])
        .output()
        .expect("key create");
    assert!(created.status.success());
    let stdout = String::from_utf8(created.stdout).expect("utf-8");
    let second = stdout
        .lines()
        .last()
        .expect("secret line")
        .trim()
        .to_owned();
    let keys = UsedKeys {
        first: server.key.clone(),
        second,
        unknown: "purr_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ".to_owned(),
    };
    let client = reqwest::Client::new();
    let list = format!(
        "{}/v1/contacts?newsletter_id={}",
        server.address, server.workspace
    );
    let wrong = format!("{}x", keys.first);
    for key in [&keys.first, &keys.second, &keys.unknown, &wrong] {
        send(client.request(Method::GET, &list).bearer_auth(key)).await;
    }
    send(
        client
            .request(Method::POST, format!("{}/v1/contacts", server.address))
            .bearer_auth(&keys.first)
            .json(&json!({"newsletter_id": server.workspace, "contacts": [{"email": "s@example.com"}]})),
    )
    .await
    .expect_status(200);
    while_running();
    drop(server);
    let log_bytes = std::fs::read(log).expect("log");
    assert!(contains(&log_bytes, "key_"), "the log names keys by id");
    for (what, bytes) in [
        ("the server log", &log_bytes),
        ("key create's log", &created.stderr),
    ] {
        for secret in keys.all() {
            assert!(
                !contains(bytes, secret.trim_start_matches("purr_")),
                "{what} contains an API key"
            );
        }
    }
    keys
}

#[track_caller]
fn assert_no_key_in(keys: &UsedKeys, what: &str, bytes: &[u8]) {
    for secret in keys.all() {
        assert!(
            !contains(bytes, secret.trim_start_matches("purr_")),
            "{what} contains an API key"
        );
    }
}

#[tokio::test]
async fn sqlite_stores_api_keys_only_as_hashes_and_never_logs_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("secrets.db");
    let database = format!("sqlite://{}", db_path.display());
    // While the server runs, the WAL holds the latest writes: read it then too.
    let mut files = Vec::new();
    let keys = use_keys(&database, &dir.path().join("server.log"), || {
        files.extend(database_files(&db_path));
    })
    .await;
    files.extend(database_files(&db_path));
    assert!(files.len() >= 3, "database and WAL were read");
    for (path, bytes) in &files {
        assert_no_key_in(&keys, &path.display().to_string(), bytes);
    }
    let conn = rusqlite::Connection::open(&db_path).expect("open database");
    let stored: HashSet<Vec<u8>> = conn
        .prepare("SELECT secret_sha256 FROM api_keys")
        .expect("query")
        .query_map([], |row| row.get(0))
        .expect("rows")
        .map(|r| r.expect("hash"))
        .collect();
    assert_eq!(
        stored,
        keys.expected_hashes(),
        "each key is stored as the SHA-256 of its text"
    );
}

#[tokio::test]
async fn postgres_stores_api_keys_only_as_hashes_and_never_logs_them() {
    let test = "postgres_stores_api_keys_only_as_hashes_and_never_logs_them";
    let Some(admin_url) = crate::fresh_database::test_url(test) else {
        return;
    };
    let fresh = crate::fresh_database::FreshDatabase::create(&admin_url);
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = use_keys(&fresh.url, &dir.path().join("server.log"), || {}).await;
    // Everything the database holds, as pg_dump writes it (bytea as hex).
    let dump = Command::new("pg_dump")
        .args(["--no-owner", "--data-only", &fresh.url])
        .output()
        .expect("run pg_dump");
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    assert_no_key_in(&keys, "pg_dump", &dump.stdout);
    let text = String::from_utf8_lossy(&dump.stdout);
    for hash in keys.expected_hashes() {
        assert!(
            text.contains(&hex::encode(hash)),
            "the key's SHA-256 is stored"
        );
    }
}

#[tokio::test]
async fn unsubscribe_tokens_are_distinct_and_uniformly_random() {
    let app = crate::helpers::TestApp::spawn().await;
    let contacts: Vec<_> = (0..1000)
        .map(|i| json!({"email": format!("t{i}@example.com")}))
        .collect();
    app.upsert(serde_json::Value::Array(contacts)).await;
    let tokens: Vec<String> = app
        .list_all()
        .await
        .iter()
        .map(|c| c["unsub_token"].as_str().expect("token").to_owned())
        .collect();
    assert_eq!(tokens.len(), 1000);
    assert_eq!(tokens.iter().collect::<HashSet<_>>().len(), 1000);
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut counts: HashMap<char, u32> = HashMap::new();
    for token in &tokens {
        assert_eq!(token.chars().count(), 21, "{token}");
        assert!(token.chars().all(|c| alphabet.contains(c)), "{token}");
        // The first symbol is shared by the tokens made in one second (domain/ids.rs); the
        // other 20 are each token's own: 20 symbols of 64 = 120 bits, what reliability.md
        // asks for.
        for c in token.chars().skip(1) {
            *counts.entry(c).or_default() += 1;
        }
    }
    // 20,000 draws over 64 symbols: 312.5 expected each, standard deviation about 17.5; a
    // bound of seven deviations fails a fair generator with negligible probability.
    assert_eq!(counts.len(), 64, "every symbol appears");
    for (symbol, count) in counts {
        assert!(
            (190..=435).contains(&count),
            "{symbol} appears {count} times"
        );
    }
}
