//! The `purrlist` binary: workspace and key commands, and `serve` from first start to SIGTERM.

use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;
use tempfile::TempDir;

/// A database for the binary, in its own temporary directory.
struct Cli {
    dir: TempDir,
}

impl Cli {
    fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    fn database(&self) -> String {
        format!("sqlite://{}", self.dir.path().join("x.db").display())
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_purrlist"));
        command
            .env_remove("PURRLIST_DATABASE_URL")
            .env_remove("PURRLIST_CONFIG")
            .env("PURRLIST_KEY_CACHE_SECONDS", "0")
            .args(["--database", &self.database()]);
        command
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run purrlist")
    }

    /// Runs a command that must succeed; returns its stdout.
    #[track_caller]
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs a command that must fail; returns its stderr.
    #[track_caller]
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "nothing on stdout when failing");
        String::from_utf8(out.stderr).expect("utf-8 stderr")
    }
}

fn last_line(text: &str) -> &str {
    text.lines().last().expect("a line").trim()
}

#[test]
fn workspace_create_prints_the_id_last_and_list_shows_it() {
    let cli = Cli::new();
    let first = cli.ok(&["workspace", "create", "--name", "Cats weekly"]);
    let id = last_line(&first).to_owned();
    assert!(id.starts_with("wks_") && id.len() == 25, "{id}");
    let second = last_line(&cli.ok(&["workspace", "create", "--name", "Dogs"])).to_owned();
    let list = cli.ok(&["workspace", "list"]);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(
        lines[0].starts_with(&id) && lines[0].ends_with("Cats weekly"),
        "{list}"
    );
    assert!(lines[1].starts_with(&second), "{list}");
}

#[test]
fn key_create_list_and_revoke() {
    let cli = Cli::new();
    let workspace = last_line(&cli.ok(&["workspace", "create", "--name", "W"])).to_owned();
    let created = cli.ok(&[
        "key",
        "create",
        "--workspace",
        &workspace,
        "--read-only",
        "--name",
        "reader",
    ]);
    let secret = last_line(&created).to_owned();
    assert!(secret.starts_with("purr_"), "{created}");
    assert!(created.contains("read-only"), "{created}");
    let all = last_line(&cli.ok(&["key", "create"])).to_owned();
    let list = cli.ok(&["key", "list"]);
    assert!(
        !list.contains(&secret) && !list.contains(&all),
        "never a secret in the list"
    );
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert!(
        lines[0].contains("read-only")
            && lines[0].contains(&workspace)
            && lines[0].contains("active")
    );
    assert!(lines[1].contains("read-write") && lines[1].contains("all workspaces"));
    let key_id = lines[0].split('\t').next().expect("id").to_owned();
    assert!(key_id.starts_with("key_"), "{key_id}");
    let revoked = cli.ok(&["key", "revoke", &key_id]);
    assert!(revoked.contains(&key_id));
    let list = cli.ok(&["key", "list"]);
    assert!(
        list.lines().next().is_some_and(|l| l.contains("revoked")),
        "{list}"
    );
}

#[test]
fn key_commands_fail_clearly_on_bad_input() {
    let cli = Cli::new();
    cli.ok(&["workspace", "create", "--name", "W"]);
    let unknown = cli.fails(&["key", "create", "--workspace", "wks_AAAAAAAAAAAAAAAAAAAAA"]);
    assert!(
        unknown.contains("there is no workspace wks_AAAAAAAAAAAAAAAAAAAAA"),
        "{unknown}"
    );
    let malformed = cli.fails(&["key", "create", "--workspace", "cats"]);
    assert!(malformed.contains("not a workspace id"), "{malformed}");
    let bad_id = cli.fails(&["key", "revoke", "purr_not_an_id"]);
    assert!(bad_id.contains("not a key id"), "{bad_id}");
    let no_key = cli.fails(&["key", "revoke", "key_AAAAAAAAAAAAAAAAAAAAA"]);
    assert!(
        no_key.contains("there is no key key_AAAAAAAAAAAAAAAAAAAAA"),
        "{no_key}"
    );
    let list = cli.ok(&["key", "list"]);
    assert!(list.is_empty(), "failed commands made no key: {list}");
    let unsupported = cli
        .command()
        .args(["workspace", "list"])
        .args(["--database", "mysql://x"])
        .output()
        .expect("run");
    assert!(!unsupported.status.success());
    assert!(String::from_utf8_lossy(&unsupported.stderr).contains("unsupported database URL"));
}

#[test]
fn workspace_create_refuses_an_empty_name() {
    let cli = Cli::new();
    let err = cli.fails(&["workspace", "create", "--name", "  "]);
    assert!(err.contains("workspace name must be 1 to"), "{err}");
    assert!(cli.ok(&["workspace", "list"]).is_empty());
}

#[test]
fn serve_on_an_address_in_use_fails_with_a_clear_message() {
    let cli = Cli::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let err = cli.fails(&["serve", "--listen", &address]);
    assert!(
        err.contains(&format!("cannot listen on {address}")),
        "{err}"
    );
}

/// A running `purrlist serve`, its stdout lines arriving on a channel.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(cli: &Cli) -> Server {
        let mut child = cli
            .command()
            .args(["serve", "--listen", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start serve");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Server { child, lines }
    }

    /// Stdout up to and including the "listening" line, which says the server is ready.
    fn until_ready(&self) -> Vec<String> {
        let mut seen = Vec::new();
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("serve prints its address");
            let ready = line.starts_with("purrlist listening on http://");
            seen.push(line);
            if ready {
                return seen;
            }
        }
    }

    /// Sends SIGTERM and returns whether the process exited with 0.
    fn terminate(mut self) -> bool {
        let kill = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(kill.success());
        self.child.wait().expect("wait").success()
    }
}

impl Drop for Server {
    /// A failed test must not leave a server behind.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn value_after<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} line in {lines:?}"))
        .trim()
}

#[tokio::test]
async fn serve_first_start_prints_a_working_key_and_stops_on_sigterm() {
    let cli = Cli::new();
    let server = Server::start(&cli);
    let lines = server.until_ready();
    let workspace = value_after(&lines, "workspace:").to_owned();
    let key = value_after(&lines, "api key:").to_owned();
    let address = value_after(&lines, "purrlist listening on").to_owned();
    assert!(
        workspace.starts_with("wks_") && key.starts_with("purr_"),
        "{lines:?}"
    );
    let curl = lines
        .iter()
        .find(|l| l.trim_start().starts_with("curl "))
        .expect("a curl line");
    for part in [&workspace, &key, &address] {
        assert!(curl.contains(part.as_str()), "curl line has {part}: {curl}");
    }

    let client = reqwest::Client::new();
    let reply = client
        .post(format!("{address}/v1/contacts"))
        .bearer_auth(&key)
        .json(&json!({"newsletter_id": workspace, "contacts": [{"email": "noto@example.com"}]}))
        .send()
        .await
        .expect("reach the server");
    assert_eq!(reply.status(), 200);
    let list: serde_json::Value = client
        .get(format!("{address}/v1/contacts?newsletter_id={workspace}"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    assert_eq!(list["total"], json!(1));

    let key_id = cli
        .ok(&["key", "list"])
        .lines()
        .next()
        .and_then(|l| l.split('\t').next())
        .expect("key id")
        .to_owned();
    cli.ok(&["key", "revoke", &key_id]);
    let revoked = client
        .get(format!("{address}/v1/contacts?newsletter_id={workspace}"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("reach the server");
    assert_eq!(
        revoked.status(),
        401,
        "a key revoked by the CLI stops working"
    );

    assert!(server.terminate(), "SIGTERM makes serve exit 0");

    let again = Server::start(&cli);
    let lines = again.until_ready();
    assert!(
        lines.iter().all(|l| !l.contains("api key:")),
        "no new key on a second start: {lines:?}"
    );
    assert!(again.terminate());
}

#[test]
fn serve_stops_cleanly_on_sigterm_sent_right_after_it_is_ready() {
    let cli = Cli::new();
    // The race is narrow; a few rounds catch it often.
    for _ in 0..10 {
        let server = Server::start(&cli);
        server.until_ready();
        assert!(
            server.terminate(),
            "exit 0 even when the signal comes at once"
        );
    }
}
