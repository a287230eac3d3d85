//! `purrlist serve`: first start prints a working key and a curl line; SIGTERM exits 0.

use crate::cli::Cli;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

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
