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

/// The whole change feed of a workspace, as the server shows it.
async fn all_events(base: &str, key: &str, workspace: &str) -> Vec<Value> {
    let client = http();
    let mut all = Vec::new();
    let mut after = "0".to_owned();
    loop {
        let answer: Value = client
            .get(format!(
                "{base}/v1/events?newsletter_id={workspace}&after={after}&limit=1000"
            ))
            .bearer_auth(key)
            .send()
            .await
            .expect("events")
            .json()
            .await
            .expect("json");
        let data = answer["data"].as_array().expect("data").clone();
        if data.is_empty() {
            return all;
        }
        after = answer["next_cursor"]
            .as_str()
            .expect("next_cursor")
            .to_owned();
        all.extend(data);
    }
}

fn cursor(event: &Value) -> u64 {
    event["id"]
        .as_str()
        .expect("id")
        .parse()
        .expect("decimal id")
}

/// A write of every actor kind, and a request with an idempotency key; returns that request's answer.
async fn write_every_kind(base: &str, key: &str, workspace: &str) -> Value {
    let client = http();
    let listed = all_contacts(base, key, workspace).await;
    let put = client
        .put(format!(
            "{base}/v1/contacts/{}",
            listed[0]["id"].as_str().expect("id")
        ))
        .bearer_auth(key)
        .header("Idempotency-Key", "rename-1")
        .json(&json!({"email": listed[0]["email"], "name": "Renamed"}))
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 200);
    let subscribed = listed[1..]
        .iter()
        .find(|c| c["subscribed"] == true)
        .expect("a subscribed contact");
    let token = subscribed["unsub_token"].as_str().expect("token");
    let unsubscribed = client
        .post(format!("{base}/u/{token}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("one click");
    assert!(unsubscribed.status().is_success());
    let deleted = client
        .delete(format!(
            "{base}/v1/contacts/{}",
            listed[listed.len() - 1]["id"].as_str().expect("id")
        ))
        .bearer_auth(key)
        .send()
        .await
        .expect("delete");
    assert!(deleted.status().is_success());
    put.json().await.expect("json")
}

/// A dry-run import over HTTP, polled until it ends; returns the job as the server shows it.
async fn dry_run_import(base: &str, key: &str, workspace: &str) -> Value {
    let client = http();
    let started: Value = client
        .post(format!(
            "{base}/v1/imports?newsletter_id={workspace}&dry_run=true"
        ))
        .bearer_auth(key)
        .header("content-type", "text/csv")
        .body("email,name\nnew@example.com,New\nnot an email,Bad\n")
        .send()
        .await
        .expect("import")
        .json()
        .await
        .expect("json");
    let url = format!("{base}/v1/imports/{}", started["id"].as_str().expect("id"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let job = import_job(&url, key).await;
        if job["status"] != "queued" && job["status"] != "running" {
            return job;
        }
        assert!(std::time::Instant::now() < deadline, "{job}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn import_job(url: &str, key: &str) -> Value {
    http()
        .get(url)
        .bearer_auth(key)
        .send()
        .await
        .expect("import job")
        .json()
        .await
        .expect("json")
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
    let renamed = write_every_kind(&node.base, &key, &workspace).await;
    let import = dry_run_import(&node.base, &key, &workspace).await;
    assert_eq!(
        import["status"], "failed",
        "a bad row refuses the file: {import}"
    );
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
        stdout(&copied).contains(
            "Copied and verified: 2 workspace(s), 3 key(s), 2099 contact(s), 2103 event(s), \
             1 idempotency record(s), 1 import job(s)."
        ),
        "{}",
        stdout(&copied)
    );

    // A second copy into the now non-empty target refuses, unless told to resume.
    let again = run_cli(&["copy", "--from", &sqlite, "--to", &db.url]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("not empty"), "{}", stderr(&again));
    let resumed = run_cli(&["copy", "--from", &sqlite, "--to", &db.url, "--resume"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert_eq!(db.query_i64("SELECT count(*) FROM contacts"), 2099);

    // Same workspaces and keys (hashes: the old secrets work), same contacts byte for byte.
    assert_eq!(
        stdout(&run_cli(&["workspace", "list", "--database", &db.url])),
        workspaces_before
    );
    assert_eq!(
        stdout(&run_cli(&["key", "list", "--database", &db.url])),
        keys_before
    );
    let (from_sqlite, feed_from_sqlite) = {
        let node = Node::start(&sqlite, &[]);
        (
            all_contacts(&node.base, &key, &workspace).await,
            all_events(&node.base, &key, &workspace).await,
        )
    };
    let actors: std::collections::BTreeSet<String> = feed_from_sqlite
        .iter()
        .map(|e| e["actor"]["type"].as_str().expect("actor").to_owned())
        .collect();
    assert_eq!(actors.len(), 2, "api_key and unsubscribe_link: {actors:?}");
    let pg = Node::start(&db.url, &[]);
    assert!(
        pg.first_start.is_none(),
        "a copied database is not a first start"
    );
    let from_pg = all_contacts(&pg.base, &key, &workspace).await;
    assert_eq!(from_pg.len(), 2099);
    let import_url = format!(
        "{}/v1/imports/{}",
        pg.base,
        import["id"].as_str().expect("id")
    );
    assert_eq!(
        import_job(&import_url, &key).await,
        import,
        "the import job came along"
    );
    assert_eq!(from_pg, from_sqlite);

    // The feed is the same event for event: ids (cursors), order, actors, changes, evidence, times.
    let feed_from_pg = all_events(&pg.base, &key, &workspace).await;
    assert_eq!(feed_from_pg.len(), 2103);
    assert_eq!(feed_from_pg, feed_from_sqlite);
    let last_copied = feed_from_sqlite.iter().map(cursor).max().expect("events");

    // The idempotency record came along: the same request is replayed, not run again.
    let first = from_sqlite
        .iter()
        .find(|c| c["name"] == "Renamed")
        .expect("renamed contact");
    let first_id = first["id"].as_str().expect("id").to_owned();
    let first_email = first["email"].clone();
    let replay = client
        .put(format!("{}/v1/contacts/{first_id}", pg.base))
        .bearer_auth(&key)
        .header("Idempotency-Key", "rename-1")
        .json(&json!({"email": first_email, "name": "Renamed"}))
        .send()
        .await
        .expect("replay");
    assert_eq!(
        replay
            .headers()
            .get("idempotent-replayed")
            .map(|v| v.to_str().expect("ascii")),
        Some("true")
    );
    assert_eq!(replay.json::<Value>().await.expect("json"), renamed);

    // A new write continues the feed after every copied event.
    let changed = client
        .put(format!("{}/v1/contacts/{first_id}", pg.base))
        .bearer_auth(&key)
        .json(&json!({"email": first_email, "name": "After the copy"}))
        .send()
        .await
        .expect("put");
    assert_eq!(changed.status(), 200);
    let feed_after = all_events(&pg.base, &key, &workspace).await;
    assert_eq!(feed_after.len(), 2104);
    assert_eq!(feed_after[..2103], feed_from_pg[..]);
    assert!(cursor(&feed_after[2103]) > last_copied);
    let reader = client
        .get(format!("{}/v1/contacts?newsletter_id={second_id}", pg.base))
        .bearer_auth(&listed_secret)
        .send()
        .await
        .expect("list");
    assert_eq!(reader.status(), 200);
    drop(pg);

    // And back to a new SQLite file: the feed again keeps its cursors and continues after them.
    let back = sqlite_url(dir.path(), "back.db");
    let copied_back = run_cli(&["copy", "--from", &db.url, "--to", &back]);
    assert!(copied_back.status.success(), "{}", stderr(&copied_back));
    let node = Node::start(&back, &[]);
    assert_eq!(all_events(&node.base, &key, &workspace).await, feed_after);
    let changed = client
        .put(format!("{}/v1/contacts/{first_id}", node.base))
        .bearer_auth(&key)
        .json(&json!({"email": first_email, "name": "Back on SQLite"}))
        .send()
        .await
        .expect("put");
    assert_eq!(changed.status(), 200);
    let feed_back = all_events(&node.base, &key, &workspace).await;
    assert_eq!(feed_back.len(), 2105);
    assert!(cursor(&feed_back[2104]) > cursor(&feed_after[2103]));
}

#[tokio::test]
async fn copy_carries_suppressions_and_the_salt_of_their_ids() {
    let Some(admin) = test_url("copy_carries_suppressions_and_the_salt_of_their_ids") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let sqlite = sqlite_url(dir.path(), "source.db");
    let created = run_cli(&["workspace", "create", "--name", "S", "--database", &sqlite]);
    assert!(created.status.success(), "{}", stderr(&created));
    let workspace = stdout(&created).lines().last().expect("id").to_owned();
    let erase = |database: &str| {
        let args = [
            "privacy",
            "erase",
            "--newsletter-id",
            &workspace,
            "--email",
            "gone@example.com",
            "--database",
            database,
        ];
        let erased = run_cli(&args);
        assert!(erased.status.success(), "{}", stderr(&erased));
        stdout(&erased).lines().last().expect("id").to_owned()
    };
    let id = erase(&sqlite);

    let db = FreshDatabase::create(&admin);
    let copied = run_cli(&["copy", "--from", &sqlite, "--to", &db.url]);
    assert!(copied.status.success(), "copy failed: {}", stderr(&copied));
    assert!(
        stdout(&copied).contains("Copied and verified: 1 suppression(s)."),
        "{}",
        stdout(&copied)
    );
    assert_eq!(
        db.query_i64("SELECT count(*) FROM suppressions WHERE reason = 'erased' AND email IS NULL"),
        1
    );
    // The target recognises the address under the same id: the salt came along.
    assert_eq!(erase(&db.url), id);
    assert_eq!(db.query_i64("SELECT count(*) FROM suppressions"), 1);
}
