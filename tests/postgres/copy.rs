//! `purrlist copy` from the embedded SQLite store to PostgreSQL.

use crate::support::{FreshDatabase, Node, http, run_cli, sqlite_url, test_url};
use serde_json::{Value, json};

/// Every page of a workspace's contacts, as the server shows them.
async fn all_contacts(base: &str, key: &str, workspace: &str) -> Vec<Value> {
    let client = http();
    let mut all = Vec::new();
    for page in 1.. {
        let answer: Value = client
            .get(format!(
                "{base}/v1/contacts?newsletter_id={workspace}&limit=1000&page={page}"
            ))
            .bearer_auth(key)
            .send()
            .await
            .expect("list")
            .json()
            .await
            .expect("json");
        let data = answer["data"].as_array().expect("data").clone();
        if data.is_empty() {
            break;
        }
        all.extend(data);
    }
    all
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_moves_everything_from_sqlite_and_postgres_serves_it_identically() {
    let Some(admin) =
        test_url("copy_moves_everything_from_sqlite_and_postgres_serves_it_identically")
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = sqlite_url(dir.path(), "purrlist.db");

    // A SQLite store with two workspaces, contacts, and keys of every kind.
    let node = Node::start(&sqlite, &[]);
    let (workspace, key) = node.first_start.clone().expect("first start");
    let client = http();
    for batch in 0..3 {
        let contacts: Vec<Value> = (0..700)
            .map(|i| {
                json!({
                    "email": format!("Cat{batch}-{i}@Example.com"),
                    "name": format!("Cat {i}"),
                    "subscribed": i % 3 != 0,
                    "custom_fields": {"z": i, "a": "first key stays second", "date": "2024-05-01"}
                })
            })
            .collect();
        let response = client
            .post(format!("{}/v1/contacts", node.base))
            .bearer_auth(&key)
            .json(&json!({"newsletter_id": workspace, "contacts": contacts}))
            .send()
            .await
            .expect("bulk");
        assert_eq!(response.status(), 200);
    }
    drop(node);
    let second = run_cli(&[
        "workspace",
        "create",
        "--name",
        "Second",
        "--database",
        &sqlite,
    ]);
    let second_id = stdout(&second).lines().last().expect("id").to_owned();
    let listed_key = run_cli(&[
        "key",
        "create",
        "--workspace",
        &second_id,
        "--read-only",
        "--name",
        "reader",
        "--database",
        &sqlite,
    ]);
    assert!(listed_key.status.success(), "{}", stderr(&listed_key));
    let listed_secret = stdout(&listed_key)
        .lines()
        .last()
        .expect("secret")
        .to_owned();
    let revoked = run_cli(&["key", "create", "--name", "old", "--database", &sqlite]);
    assert!(revoked.status.success());
    let keys_before = stdout(&run_cli(&["key", "list", "--database", &sqlite]));
    let old_id = keys_before
        .lines()
        .find(|l| l.ends_with("\told"))
        .and_then(|l| l.split('\t').next())
        .expect("old key listed")
        .to_owned();
    assert!(
        run_cli(&["key", "revoke", &old_id, "--database", &sqlite])
            .status
            .success()
    );
    let keys_before = stdout(&run_cli(&["key", "list", "--database", &sqlite]));
    let workspaces_before = stdout(&run_cli(&["workspace", "list", "--database", &sqlite]));

    let db = FreshDatabase::create(&admin);
    let copied = run_cli(&["copy", "--from", &sqlite, "--to", &db.url]);
    assert!(copied.status.success(), "copy failed: {}", stderr(&copied));
    assert!(
        stdout(&copied).contains("Copied and verified: 2 workspace(s), 3 key(s), 2100 contact(s).")
    );

    // Same workspaces and keys (hashes: the old secrets work), same contacts byte for byte.
    assert_eq!(
        stdout(&run_cli(&["workspace", "list", "--database", &db.url])),
        workspaces_before
    );
    assert_eq!(
        stdout(&run_cli(&["key", "list", "--database", &db.url])),
        keys_before
    );
    let from_sqlite = {
        let node = Node::start(&sqlite, &[]);
        all_contacts(&node.base, &key, &workspace).await
    };
    let pg = Node::start(&db.url, &[]);
    assert!(
        pg.first_start.is_none(),
        "a copied database is not a first start"
    );
    let from_pg = all_contacts(&pg.base, &key, &workspace).await;
    assert_eq!(from_pg.len(), 2100);
    assert_eq!(from_pg, from_sqlite);
    let reader = client
        .get(format!("{}/v1/contacts?newsletter_id={second_id}", pg.base))
        .bearer_auth(&listed_secret)
        .send()
        .await
        .expect("list");
    assert_eq!(reader.status(), 200);
    drop(pg);

    // A second copy into the now non-empty target refuses, unless told to resume.
    let again = run_cli(&["copy", "--from", &sqlite, "--to", &db.url]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));
    let resumed = run_cli(&["copy", "--from", &sqlite, "--to", &db.url, "--resume"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_eq!(db.query_i64("SELECT count(*) FROM contacts"), 2100);
}
