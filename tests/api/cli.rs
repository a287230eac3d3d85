//! The `purrlist` binary: workspace and key commands (`cli_serve.rs` has `serve`).

use crate::fresh_database::{FreshDatabase, test_url};
use std::process::{Command, Output};
use tempfile::TempDir;

/// A database for the binary: a SQLite file in its own temporary directory, or a fresh
/// PostgreSQL database.
pub struct Cli {
    dir: TempDir,
    postgres: Option<FreshDatabase>,
}

impl Cli {
    pub fn new() -> Cli {
        Cli {
            dir: tempfile::tempdir().expect("tempdir"),
            postgres: None,
        }
    }

    /// One empty database per backend configured here (PostgreSQL when
    /// PURRLIST_TEST_POSTGRES_URL is set), so a test runs the same commands on each.
    pub fn each_backend(test: &str) -> Vec<Cli> {
        let mut all = vec![Cli::new()];
        if let Some(admin) = test_url(&format!("{test} on PostgreSQL")) {
            all.push(Cli {
                postgres: Some(FreshDatabase::create(&admin)),
                ..Cli::new()
            });
        }
        all
    }

    /// Whether this is the SQLite database (else PostgreSQL).
    pub fn is_sqlite(&self) -> bool {
        self.postgres.is_none()
    }

    /// The SQLite file (of a SQLite `Cli`).
    pub fn sqlite_file(&self) -> std::path::PathBuf {
        self.dir.path().join("x.db")
    }

    pub fn database(&self) -> String {
        match &self.postgres {
            Some(database) => database.url.clone(),
            None => format!("sqlite://{}", self.sqlite_file().display()),
        }
    }

    pub fn command(&self) -> Command {
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
    pub fn ok(&self, args: &[&str]) -> String {
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
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} should fail");
        assert!(out.stdout.is_empty(), "nothing on stdout when failing");
        String::from_utf8(out.stderr).expect("utf-8 stderr")
    }
}

pub fn last_line(text: &str) -> &str {
    text.lines().last().expect("a line").trim()
}

#[test]
fn workspace_create_prints_the_id_last_and_list_shows_it() {
    for cli in Cli::each_backend("workspace_create_prints_the_id_last_and_list_shows_it") {
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
}

#[test]
fn key_create_list_and_revoke() {
    for cli in Cli::each_backend("key_create_list_and_revoke") {
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
}

#[test]
fn key_commands_fail_clearly_on_bad_input() {
    for cli in Cli::each_backend("key_commands_fail_clearly_on_bad_input") {
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
}

#[test]
fn workspace_create_refuses_an_empty_name() {
    let cli = Cli::new();
    let err = cli.fails(&["workspace", "create", "--name", "  "]);
    assert!(err.contains("workspace name must be 1 to"), "{err}");
    assert!(cli.ok(&["workspace", "list"]).is_empty());
}

#[test]
fn workspace_rename_changes_the_name_and_refuses_bad_input() {
    for cli in Cli::each_backend("workspace_rename_changes_the_name_and_refuses_bad_input") {
        let id = last_line(&cli.ok(&["workspace", "create", "--name", "Cats"])).to_owned();
        let renamed = cli.ok(&["workspace", "rename", &id, "--name", " Cat Facts Weekly "]);
        assert!(renamed.contains("\"Cat Facts Weekly\""), "{renamed}");
        let unknown = cli.fails(&[
            "workspace",
            "rename",
            "wks_AAAAAAAAAAAAAAAAAAAAA",
            "--name",
            "X",
        ]);
        assert!(unknown.contains("there is no workspace"), "{unknown}");
        let malformed = cli.fails(&["workspace", "rename", "cats", "--name", "X"]);
        assert!(
            malformed.contains("there is no workspace cats"),
            "{malformed}"
        );
        let blank = cli.fails(&["workspace", "rename", &id, "--name", " "]);
        assert!(blank.contains("workspace name must be 1 to"), "{blank}");
        let list = cli.ok(&["workspace", "list"]);
        assert!(list.trim_end().ends_with("\tCat Facts Weekly"), "{list}");
    }
}
