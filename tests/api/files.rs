//! The SQLite files on disk: the database, its `-wal` and `-shm`, and backups are made
//! readable by their owner only; an existing file's mode is kept, with a warning.

use crate::cli::Cli;
use crate::cli_serve::Server;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// `command` run under umask 022, the usual one, with which SQLite alone makes 0644 files.
fn under_umask_022(command: &Command) -> Command {
    let mut shell = Command::new("sh");
    shell
        .args(["-c", "umask 022 && exec \"$0\" \"$@\""])
        .arg(command.get_program())
        .args(command.get_args());
    for (name, value) in command.get_envs() {
        match value {
            Some(value) => shell.env(name, value),
            None => shell.env_remove(name),
        };
    }
    shell
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

#[test]
fn a_new_database_its_wal_and_shm_and_a_backup_are_private() {
    let cli = Cli::new();
    let db = cli.sqlite_file();
    let mut serve = cli.command();
    serve.args(["serve", "--listen", "127.0.0.1:0"]);
    let server = Server::spawn(under_umask_022(&serve));
    server.until_ready();
    // The first start wrote the workspace and key: the WAL and its index exist now.
    for suffix in ["", "-wal", "-shm"] {
        let path = with_suffix(&db, suffix);
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let backup = dir.path().join("backup.db");
    let mut command = cli.command();
    command.args(["backup", "--to", &backup.display().to_string()]);
    let out = under_umask_022(&command).output().expect("run backup");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&backup), 0o600);
    assert!(server.terminate());
}

#[test]
fn an_existing_database_readable_by_others_keeps_its_mode_with_a_warning() {
    let cli = Cli::new();
    cli.ok(&["workspace", "create", "--name", "W"]);
    let db = cli.sqlite_file();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let out = cli
        .command()
        .args(["workspace", "list"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("other users") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    assert_eq!(mode(&db), 0o644, "the operator's choice is kept");

    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let quiet = cli
        .command()
        .args(["workspace", "list"])
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&quiet.stderr);
    assert!(!stderr.contains("other users"), "{stderr}");
}

#[test]
fn a_backup_onto_an_existing_file_is_refused_and_leaves_it_alone() {
    let cli = Cli::new();
    cli.ok(&["workspace", "create", "--name", "W"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("taken.db");
    std::fs::write(&target, b"mine").expect("write");
    let err = cli.fails(&["backup", "--to", &target.display().to_string()]);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(std::fs::read(&target).expect("read"), b"mine");
}
