//! `purrlist migrate`.

use crate::support::{FreshDatabase, run_cli, test_url};

#[tokio::test]
async fn migrate_applies_the_schema_once_even_when_run_together() {
    let Some(admin) = test_url("migrate_applies_the_schema_once_even_when_run_together") else {
        return;
    };
    let db = FreshDatabase::create(&admin);
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || run_cli(&["migrate", "--database", &url]))
        })
        .collect();
    for run in runs {
        let output = run.join().expect("migrate ran");
        assert!(
            output.status.success(),
            "migrate failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("up to date"));
    }
    assert_eq!(db.query_i64("SELECT count(*) FROM schema_migrations"), 1);
    assert_eq!(db.query_i64("SELECT count(*) FROM workspaces"), 0);
    // The CLI commands work on PostgreSQL once migrated.
    let output = run_cli(&[
        "workspace",
        "create",
        "--name",
        "Cats",
        "--database",
        &db.url,
    ]);
    assert!(output.status.success());
    let listed = run_cli(&["workspace", "list", "--database", &db.url]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("\tCats"));
}

#[tokio::test]
async fn an_unreachable_database_fails_migrate_clearly() {
    if test_url("an_unreachable_database_fails_migrate_clearly").is_none() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("postgres://postgres@127.0.0.1:{port}/nothing");
    let output = run_cli(&["migrate", "--database", &url]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot connect to PostgreSQL"));
}
