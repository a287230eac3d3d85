//! `purrlist import` and `purrlist export` through the binary, against a running server's
//! database; results are read back through the API.

use crate::cli_export::{content, export_to, without_move_columns};
use crate::cli_import_formats::dry_then_real;
use crate::helpers::*;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Output;

pub fn purrlist(app: &TestApp, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_purrlist"))
        .env_remove("PURRLIST_DATABASE_URL")
        .env_remove("PURRLIST_CONFIG")
        .args(["--database", &app.database_url()])
        .args(args)
        .output()
        .expect("run purrlist")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `content` to a new file beside nothing else; returns its path and keeps the dir.
pub fn csv_file(content: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("contacts.csv");
    std::fs::write(&path, content).expect("write csv");
    (dir, path)
}

pub fn import(app: &TestApp, workspace: &str, file: &Path, extra: &[&str]) -> Output {
    let file = file.to_str().expect("utf-8 path");
    let mut args = vec!["import", "--workspace", workspace, file];
    args.extend_from_slice(extra);
    purrlist(app, &args)
}

fn by_email<'a>(contacts: &'a [Value], email: &str) -> &'a Value {
    contacts
        .iter()
        .find(|c| {
            c["email"]
                .as_str()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        })
        .unwrap_or_else(|| panic!("no contact {email}"))
}

backend_test!(
    import_merges_rows_with_the_bulk_upsert_rules,
    |app| async move {
        app.new_contact(json!({
            "email": "old@example.com", "name": "Old", "subscribed": false,
            "custom_fields": {"keep": "x"}
        }))
        .await;
        // A byte-order mark, CRLF line ends, quoted commas and newlines, a duplicate email,
        // an explicit and a plain custom column.
        let (_dir, file) = csv_file(
            b"\xef\xbb\xbfEmail,name,first_name,subscribed,custom.plan,city\r\n\
          OLD@example.com,\"Old, renamed\",,,gold,\r\n\
          new@example.com,Two,Ann,,,\"Oslo\nNorth\"\r\n\
          gone@example.com,Gone,,no,,\r\n\
          new@example.com,,Anna,yes,pro,\r\n\
          OLD@example.com,\"Old, renamed\",,,gold,\r\n",
        );
        let out = import(&app, &app.workspace, &file, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout)
                .contains("2 created, 2 updated, 1 unchanged, 0 skipped, 0 kept unsubscribed."),
            "{}",
            text(&out.stdout)
        );

        let all = app.list_all().await;
        assert_eq!(all.len(), 3);
        let old = by_email(&all, "old@example.com");
        assert_eq!(old["name"], "Old, renamed");
        assert_eq!(
            old["subscribed"], false,
            "an empty cell never re-subscribes"
        );
        assert_eq!(old["custom_fields"], json!({"keep": "x", "plan": "gold"}));
        let new = by_email(&all, "new@example.com");
        assert_eq!(
            new["name"], "Anna",
            "a row with only a first name gets `name` from it (docs/import.md, Names)"
        );
        assert_eq!(new["first_name"], "Anna", "the later row wins");
        assert_eq!(new["subscribed"], true);
        assert_eq!(
            new["custom_fields"],
            json!({"city": "Oslo\nNorth", "plan": "pro"})
        );
        assert_eq!(by_email(&all, "gone@example.com")["subscribed"], false);

        // Recorded in the feed as the command line's changes.
        let feed = send(app.req(
            reqwest::Method::GET,
            &format!("/v1/events?newsletter_id={}&limit=1000", app.workspace),
        ))
        .await;
        feed.expect_status(200);
        let cli_events: Vec<&Value> = feed.json["data"]
            .as_array()
            .expect("data")
            .iter()
            .filter(|e| e["actor"]["type"] == "import" && e["source"] == "import:csv")
            .collect();
        // One event per contact a chunk changed: old updated, new and gone created.
        assert_eq!(cli_events.len(), 3);
    }
);

backend_test!(
    a_bad_row_refuses_the_whole_file_and_lists_every_bad_row,
    |app| async move {
        let mut content = String::from("email,name,subscribed\n");
        content.push_str("good@example.com,Good,\n");
        content.push_str("not-an-email,Bad,\n");
        content.push_str(",No email,\n");
        content.push_str("maybe@example.com,Maybe,perhaps\n");
        for i in 0..57 {
            content.push_str(&format!("bad{i},x,\n"));
        }
        content.push_str("last@example.com,Last,1\n");
        let (_dir, file) = csv_file(content.as_bytes());
        let out = import(&app, &app.workspace, &file, &[]);
        assert!(!out.status.success());
        assert!(
            !text(&out.stdout).contains("Imported"),
            "no counts when refusing"
        );
        let err = text(&out.stderr);
        assert!(
            err.contains("60 of 62 row(s) are invalid; nothing was written"),
            "{err}"
        );
        assert!(err.contains("line 3: email:"), "{err}");
        assert!(err.contains("line 4: email: `email` is required."), "{err}");
        assert!(err.contains("line 5: subscribed:"), "{err}");
        assert!(err.contains("… and 10 more"), "{err}");
        assert_eq!(err.matches("\n  line ").count(), 50, "{err}");
        assert!(app.list_all().await.is_empty());
    }
);

backend_test!(
    skip_invalid_writes_the_good_rows_and_reports_the_bad,
    |app| async move {
        let (_dir, file) = csv_file(
            b"email,subscribed,plan\r\nfine@example.com,0,\"a\r\nb\"\r\nbroken,1,b\r\nalso@example.com,,\"\"\r\n",
        );
        let out = import(&app, &app.workspace, &file, &["--skip-invalid"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout)
                .contains("2 created, 0 updated, 0 unchanged, 1 skipped, 0 kept unsubscribed."),
            "{}",
            text(&out.stdout)
        );
        assert!(
            text(&out.stderr).contains("line 4: email:"),
            "{}",
            text(&out.stderr)
        );
        let all = app.list_all().await;
        assert_eq!(all.len(), 2);
        assert_eq!(by_email(&all, "fine@example.com")["subscribed"], false);
        assert_eq!(
            by_email(&all, "also@example.com")["custom_fields"],
            json!({})
        );
    }
);

backend_test!(
    a_file_without_an_email_column_or_an_unknown_workspace_is_refused,
    |app| async move {
        let (_dir, file) = csv_file(b"name,subscribed\nA,true\n");
        let out = import(&app, &app.workspace, &file, &[]);
        assert!(!out.status.success());
        assert!(
            text(&out.stderr).contains("the header has no email column"),
            "{}",
            text(&out.stderr)
        );
        let (_dir2, good) = csv_file(b"email\na@example.com\n");
        let out = import(&app, "wks_AAAAAAAAAAAAAAAAAAAAA", &good, &[]);
        assert!(!out.status.success());
        assert!(
            text(&out.stderr).contains("no workspace"),
            "{}",
            text(&out.stderr)
        );
        assert!(app.list_all().await.is_empty());
        // Two columns for one custom field: the later one is renamed and the renaming shown.
        let (_dir3, twice) = csv_file(b"email,plan,custom.plan\na@example.com,x,y\n");
        let out = import(&app, &app.workspace, &twice, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout)
                .contains("Column 3 \"custom.plan\" is imported as the custom field \"plan 2\"."),
            "{}",
            text(&out.stdout)
        );
        let all = app.list_all().await;
        assert_eq!(all[0]["custom_fields"], json!({"plan": "x", "plan 2": "y"}));
    }
);

backend_test!(
    rows_in_later_chunks_update_rows_of_earlier_ones,
    |app| async move {
        let mut content = String::from("email,name\n");
        for i in 0..2500 {
            content.push_str(&format!("cat{i}@example.com,Cat {i}\n"));
        }
        content.push_str("CAT7@example.com,Seven again\n");
        let (_dir, file) = csv_file(content.as_bytes());
        // The dry run sees what the earlier chunks would have written, as the import does.
        let out = dry_then_real(&app, &file, &[]).await;
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stdout)
                .contains("2500 created, 1 updated, 0 unchanged, 0 skipped, 0 kept unsubscribed."),
            "{}",
            text(&out.stdout)
        );
        let all = app.list_all().await;
        assert_eq!(all.len(), 2500);
        assert_eq!(by_email(&all, "cat7@example.com")["name"], "Seven again");
        // Importing the same file again changes nothing but the one row that differs from the last.
        let again = dry_then_real(&app, &file, &[]).await;
        assert!(
            text(&again.stdout)
                .contains("0 created, 2 updated, 2499 unchanged, 0 skipped, 0 kept unsubscribed."),
            "{}",
            text(&again.stdout)
        );
    }
);

backend_test!(
    export_then_import_into_a_fresh_workspace_gives_the_same_contacts,
    |app| async move {
        app.upsert(json!([
        {"email": "a@example.com", "name": "Quote \"A\", comma", "first_name": "Ann", "custom_fields": {"plan": "pro"}},
        {"email": "b@example.com", "last_name": "Smith", "subscribed": false, "custom_fields": {"city": "Oslo\nNorth", "plan": "free"}},
        {"email": "c@example.com"}
    ]))
    .await;
        let dir = tempfile::tempdir().expect("tempdir");
        let exported = dir.path().join("out.csv");
        let out = export_to(&app, &exported, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let csv = std::fs::read_to_string(&exported).expect("read export");
        assert_eq!(
            csv.lines().next(),
            Some(
                "id,email,name,first_name,last_name,subscribed,unsub_token,createdAt,updatedAt,suppression,custom.city,custom.plan"
            )
        );
        assert!(
            csv.contains(",a@example.com,\"Quote \"\"A\"\", comma\",Ann,,true,"),
            "{csv}"
        );
        assert!(csv.contains(",b@example.com,,,Smith,false,"), "{csv}");
        assert!(csv.contains(",\"Oslo\nNorth\",free\n"), "{csv}");
        // Rows in list order.
        let listed = app.list_all().await;
        let at = |c: &Value| csv.find(&format!(",{},", c["email"].as_str().expect("email")));
        let positions: Vec<Option<usize>> = listed.iter().map(at).collect();
        assert!(positions.iter().all(Option::is_some));
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{csv}");

        // Without --output the CSV goes to stdout, the same bytes.
        let to_stdout = purrlist(&app, &["export", "--workspace", &app.workspace]);
        assert_eq!(text(&to_stdout.stdout), csv);

        // Another workspace of the same server: new contacts (ids are unique over a server).
        let fresh = app.create_workspace().await;
        let copy = without_move_columns(&exported);
        let out = import(&app, &fresh, copy.path(), &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let original = content(app.list_all().await);
        assert_eq!(original.len(), 3);
        assert_eq!(content(app.list_all_of(&fresh).await), original);
    }
);

backend_test!(
    a_row_over_the_custom_field_limit_once_merged_stops_or_is_skipped,
    |app| async move {
        // A stored contact one key short of the 100-key limit: a row adding two keys only
        // goes over once merged, which the check pass cannot see.
        let fields: serde_json::Map<String, Value> =
            (0..99).map(|i| (format!("k{i}"), json!("v"))).collect();
        let full = app
            .new_contact(json!({"email": "full@example.com", "custom_fields": fields}))
            .await;
        let mut content = String::from("email,custom.extra1,custom.extra2\n");
        for i in 0..1500 {
            content.push_str(&format!("cat{i}@example.com,a,b\n"));
        }
        content.push_str("full@example.com,a,b\n");
        content.push_str("after@example.com,a,b\n");
        let (_dir, file) = csv_file(content.as_bytes());

        // The dry run says what the import then does, and writes nothing.
        for (args, written, stored) in [
            (&["--dry-run"][..], "would be written", 1),
            (&[][..], "were written", 1001),
        ] {
            let out = import(&app, &app.workspace, &file, args);
            assert!(!out.status.success());
            let err = text(&out.stderr);
            let stop = format!(
                "1 row(s) cannot be merged into the stored contacts; rows before line 1002 {written}"
            );
            assert!(err.contains(&stop), "{err}");
            assert!(err.contains("line 1502: custom_fields:"), "{err}");
            assert_eq!(app.list_all().await.len(), stored);
        }
        // The first chunk (1000 rows) is written, the rejected one is not.
        let all = app.list_all().await;
        assert_eq!(all.len(), 1001);
        assert_eq!(by_email(&all, "full@example.com"), &full);

        let out = dry_then_real(&app, &file, &["--skip-invalid"]).await;
        assert!(
            text(&out.stdout).contains(
                "501 created, 0 updated, 1000 unchanged, 1 skipped, 0 kept unsubscribed."
            ),
            "{}",
            text(&out.stdout)
        );
        let all = app.list_all().await;
        assert_eq!(all.len(), 1502);
        assert_eq!(by_email(&all, "full@example.com"), &full);
        assert_eq!(
            by_email(&all, "after@example.com")["custom_fields"],
            json!({"extra1": "a", "extra2": "b"})
        );
    }
);
