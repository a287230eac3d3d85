//! Spawned `purrlist serve` nodes and a private PostgreSQL cluster.

pub use crate::fresh_database::{FreshDatabase, skipped, test_url};

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The built binary.
pub fn purrlist() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_purrlist"));
    command
        .env("PURRLIST_KEY_CACHE_SECONDS", "0")
        .env_remove("PURRLIST_DATABASE_URL")
        .env_remove("PURRLIST_TEST_POSTGRES_URL")
        .env_remove("PURRLIST_CONFIG");
    command
}

/// Runs a CLI command to the end.
pub fn run_cli(args: &[&str]) -> Output {
    purrlist().args(args).output().expect("run purrlist")
}

/// A running `purrlist serve`, killed when dropped.
pub struct Node {
    child: Child,
    /// `http://ADDR`.
    pub base: String,
    /// The first-start workspace and key, when this node made them.
    pub first_start: Option<(String, String)>,
}

impl Node {
    /// Starts `purrlist serve` on a free port and waits until it says it listens.
    pub fn start(database_url: &str, extra_env: &[(&str, &str)]) -> Node {
        let mut command = purrlist();
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database",
                database_url,
            ])
            .env("PURRLIST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in extra_env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("spawn purrlist serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let (mut workspace, mut key) = (None, None);
        loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                let status = child.wait();
                panic!("purrlist serve exited before listening: {status:?}");
            };
            if let Some(w) = line.trim().strip_prefix("workspace: ") {
                workspace = Some(w.trim().to_owned());
            }
            if let Some(k) = line.trim().strip_prefix("api key: ") {
                key = Some(k.trim().to_owned());
            }
            if let Some(addr) = line.strip_prefix("purrlist listening on ") {
                // Keep draining stdout so the server never blocks on a full pipe.
                std::thread::spawn(move || for _ in lines.by_ref() {});
                return Node {
                    child,
                    base: addr.trim().to_owned(),
                    first_start: workspace.zip(key),
                };
            }
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that gives up long after any answer is due (so a hang fails the test).
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

/// Polls `check` until it is true or `limit` passes.
pub async fn wait_until<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// A PostgreSQL cluster in a temporary directory, owned by one test, that it may stop.
pub struct PrivateCluster {
    _dir: tempfile::TempDir,
    data: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres_user: bool,
}

fn postgres_bin_dir() -> Option<PathBuf> {
    if let Ok(dir) = std::env::var("PURRLIST_TEST_PG_BIN") {
        return Some(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

impl PrivateCluster {
    /// initdb + start on a free port; `None` when no PostgreSQL binaries are installed.
    pub fn start() -> Option<PrivateCluster> {
        let bin = postgres_bin_dir()?;
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        std::fs::create_dir(&data).expect("data dir");
        let as_postgres_user = is_root();
        if as_postgres_user {
            // initdb refuses to run as root; the cluster belongs to the postgres user.
            let status = Command::new("chmod")
                .arg("755")
                .arg(dir.path())
                .status()
                .expect("chmod");
            assert!(status.success());
            let status = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(&data)
                .status()
                .expect("chown");
            assert!(status.success());
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let cluster = PrivateCluster {
            _dir: dir,
            data,
            bin,
            port,
            as_postgres_user,
        };
        let data = cluster.data.to_string_lossy().into_owned();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        cluster.start_again();
        Some(cluster)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let output = if self.as_postgres_user {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .current_dir("/")
                .output()
        } else {
            Command::new(&exe).args(args).output()
        }
        .expect("run a PostgreSQL tool");
        assert!(
            output.status.success(),
            "{tool} {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn ctl(&self, action: &str) {
        let data = self.data.to_string_lossy().into_owned();
        let options = format!(
            "-p {} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port
        );
        match action {
            "start" => self.run(
                "pg_ctl",
                &[
                    "-D",
                    &data,
                    "-o",
                    &options,
                    "-l",
                    &format!("{data}/log"),
                    "-w",
                    "start",
                ],
            ),
            _ => self.run("pg_ctl", &["-D", &data, "-m", "fast", "-w", "stop"]),
        }
    }

    /// Starts the (stopped) cluster and waits until it accepts connections.
    pub fn start_again(&self) {
        self.ctl("start");
    }

    /// Stops the cluster (fast shutdown: connections are closed).
    pub fn stop(&self) {
        self.ctl("stop");
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let data = self.data.to_string_lossy().into_owned();
        let exe = self.bin.join("pg_ctl");
        let args = ["-D", data.as_str(), "-m", "immediate", "stop"];
        let _ = if self.as_postgres_user {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&exe)
                .args(args)
                .output()
        } else {
            Command::new(&exe).args(args).output()
        };
    }
}

/// A path inside a directory, as a `sqlite://` URL.
pub fn sqlite_url(dir: &Path, file: &str) -> String {
    format!("sqlite://{}", dir.join(file).display())
}
