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

struct LoggedServer {
    child: Child,
    address: String,
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
    let mut child = purrlist(database)
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

#[tokio::test]
async fn api_keys_are_stored_only_as_hashes_and_never_logged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_path = dir.path().join("secrets.db");
    let database = format!("sqlite://{}", db_path.display());
    let log = dir.path().join("server.log");
    let server = start(&database, &log);
    let created = purrlist(&database)
        .args(["key", "create", "--read-only", "--name", "second"])
        .output()
        .expect("key create");
    assert!(created.status.success());
    let second = String::from_utf8(created.stdout).expect("utf-8");
    let second = second
        .lines()
        .last()
        .expect("secret line")
        .trim()
        .to_owned();
    assert!(
        !contains(&created.stderr, &second),
        "key create logs its secret"
    );
    let unknown = "purr_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ".to_owned();
    let client = reqwest::Client::new();
    let list = format!(
        "{}/v1/contacts?newsletter_id={}",
        server.address, server.workspace
    );
    for key in [&server.key, &second, &unknown, &format!("{}x", server.key)] {
        send(client.request(Method::GET, &list).bearer_auth(key)).await;
    }
    send(
        client
            .request(Method::POST, format!("{}/v1/contacts", server.address))
            .bearer_auth(&server.key)
            .json(&json!({"newsletter_id": server.workspace, "contacts": [{"email": "s@example.com"}]})),
    )
    .await
    .expect_status(200);

    let first = server.key.clone();
    let secrets = [&first, &second, &unknown];
    // While the server runs, the WAL holds the latest writes: check it too.
    let mut files = database_files(&db_path);
    drop(server);
    files.extend(database_files(&db_path));
    files.push((log.clone(), std::fs::read(&log).expect("log")));
    assert!(files.len() >= 3, "database, WAL and log were read");
    let log_text = std::fs::read_to_string(&log).expect("log");
    assert!(
        log_text.contains("key_"),
        "the log names keys by id: {log_text}"
    );
    for (path, bytes) in &files {
        for secret in secrets {
            let body = secret.trim_start_matches("purr_");
            assert!(
                !contains(bytes, body),
                "{} contains an API key",
                path.display()
            );
        }
    }
    let conn = rusqlite::Connection::open(&db_path).expect("open database");
    let stored: HashSet<Vec<u8>> = conn
        .prepare("SELECT secret_sha256 FROM api_keys")
        .expect("query")
        .query_map([], |row| row.get(0))
        .expect("rows")
        .map(|r| r.expect("hash"))
        .collect();
    let expected: HashSet<Vec<u8>> = [&first, &second]
        .iter()
        .map(|k| Sha256::digest(k.as_bytes()).to_vec())
        .collect();
    assert_eq!(
        stored, expected,
        "each key is stored as the SHA-256 of its text"
    );
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
        // 21 symbols of 64 = 126 bits, over the 120 bits reliability.md asks for.
        assert_eq!(token.chars().count(), 21, "{token}");
        for c in token.chars() {
            assert!(alphabet.contains(c), "{token}");
            *counts.entry(c).or_default() += 1;
        }
    }
    // 21,000 draws over 64 symbols: 328 expected each, standard deviation about 18; a bound
    // of seven deviations fails a fair generator with negligible probability.
    assert_eq!(counts.len(), 64, "every symbol appears");
    for (symbol, count) in counts {
        assert!(
            (200..=456).contains(&count),
            "{symbol} appears {count} times"
        );
    }
}
