//! Moving out and in again: a `purrlist export` (CSV and NDJSON) imported with `purrlist
//! import` into a fresh server keeps every id, unsubscribe token, state, sign-up time and
//! suppression, so a `/u/<token>` link mailed before the move works after it, and a
//! bounced or manually suppressed address cannot be subscribed again after it either.

use crate::contacts_export::{csv_rows, ndjson_contacts};
use crate::helpers::*;
use crate::unsubscribe::{open_page, press_unsubscribe, token_of};
use serde_json::{Value, json};
use std::process::Output;

/// Runs the binary against `app`'s database.
fn run(app: &TestApp, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_purrlist"))
        .env_remove("PURRLIST_DATABASE_URL")
        .env_remove("PURRLIST_CONFIG")
        .args(["--database", &app.database_url()])
        .args(args)
        .output()
        .expect("run purrlist")
}

/// [`run`], which must succeed.
fn purrlist(app: &TestApp, args: &[&str]) -> Output {
    let out = run(app, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A fresh server on the backend `app` runs on.
async fn fresh_server_beside(app: &TestApp) -> TestApp {
    let backend = if app.database_url().starts_with("postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    TestApp::spawn_with(backend, TestApp::config())
        .await
        .expect("the backend of a running test is configured")
}

/// What a move keeps of a contact as the API shows it (all but the workspace and
/// `updatedAt`, which belong to the old server).
fn moved(contact: &Value, text_custom_fields: bool) -> Value {
    let mut kept = contact.clone();
    let map = kept.as_object_mut().expect("object");
    map.remove("workspace_id");
    map.remove("updatedAt");
    if text_custom_fields {
        // CSV carries custom values as text (docs/import.md, "Moving out").
        let fields = map["custom_fields"].as_object_mut().expect("custom_fields");
        for value in fields.values_mut() {
            if !value.is_string() {
                *value = Value::String(value.to_string());
            }
        }
    }
    kept
}

backend_test!(
    a_purrlist_export_imported_into_a_fresh_server_keeps_ids_and_unsubscribe_links,
    |app| async move {
        app.upsert(json!([
            {"email": "stays@example.com", "name": "Noto", "first_name": "Noto", "last_name": "Cat",
             "custom_fields": {"plan": "pro", "seats": 3, "vip": true}},
            {"email": "left@example.com", "subscribed": false,
             "custom_fields": {"note": "=1+1", "lf": "\nfirst line break", "spaced": " both sides "}},
            {"email": "Ünïcode@Example.com", "name": "-dash Cat"},
            {"email": "last@example.com", "last_name": "@at"},
            {"email": "Manual@example.com", "name": "Hand"},
            {"email": "bounced@example.com"}
        ]))
        .await;
        for (email, reason) in SUPPRESSED {
            app.suppress(email, reason).await.expect_status(200);
        }
        // An address with no contact: its suppression moves only with `purrlist copy`.
        app.suppress("nobody@example.com", "complained")
            .await
            .expect_status(200);
        let before = app.list_all().await;
        for (email, reason) in SUPPRESSED {
            refuses_to_subscribe(&app, find(&before, email), reason).await;
        }
        let dir = tempfile::tempdir().expect("tempdir");

        for format in ["csv", "ndjson"] {
            let file = dir.path().join(format!("contacts.{format}"));
            let path = file.to_str().expect("utf-8 path");
            purrlist(
                &app,
                &[
                    "export",
                    "--workspace",
                    &app.workspace,
                    "--format",
                    format,
                    "--output",
                    path,
                ],
            );

            // The file names each suppression, and only those.
            let written = std::fs::read_to_string(&file).expect("read export");
            let in_file: Vec<(String, String)> = if format == "csv" {
                csv_rows(&written)
                    .iter()
                    .map(|r| (r["email"].clone(), r["suppression"].clone()))
                    .collect()
            } else {
                ndjson_contacts(&written)
                    .iter()
                    .map(|c| {
                        let reason = match c.get("suppression") {
                            Some(Value::Null) => "",
                            Some(Value::String(reason)) => reason,
                            other => panic!("suppression: {other:?} in {c}"),
                        };
                        (
                            c["email"].as_str().expect("email").to_owned(),
                            reason.into(),
                        )
                    })
                    .collect()
            };
            let want: Vec<(String, String)> = before
                .iter()
                .map(|c| {
                    let email = c["email"].as_str().expect("email");
                    let reason = SUPPRESSED.iter().find(|(e, _)| *e == email);
                    (email.to_owned(), reason.map_or("", |(_, r)| *r).to_owned())
                })
                .collect();
            assert_eq!(in_file, want, "{format}: {written}");

            let new = fresh_server_beside(&app).await;
            let out = purrlist(&new, &["import", "--workspace", &new.workspace, path]);
            let report = String::from_utf8_lossy(&out.stdout);
            assert!(report.contains("6 created"), "{format}: {report}");

            let after = new.list_all().await;
            let text = format == "csv";
            let want: Vec<Value> = before.iter().map(|c| moved(c, text)).collect();
            let got: Vec<Value> = after.iter().map(|c| moved(c, false)).collect();
            assert_eq!(
                got, want,
                "{format}: ids, tokens, state and sign-up times kept, in order"
            );

            // A link mailed before the move works after it, on the new server.
            let stays = before
                .iter()
                .find(|c| c["email"] == "stays@example.com")
                .expect("stays");
            let page = open_page(&new, token_of(stays)).await;
            assert_eq!(page.status, 200, "{format}: {}", page.text);
            assert!(page.text.contains("Unsubscribe"), "{}", page.text);
            assert_eq!(press_unsubscribe(&new, token_of(stays)).await.status, 200);
            let reply = new.get_contact(stays["id"].as_str().expect("id")).await;
            reply.expect_status(200);
            assert_eq!(reply.json["subscribed"], false, "{format}");
            // The one who had left is still unsubscribed.
            assert_eq!(find(&after, "left@example.com")["subscribed"], false);

            // Each suppression moved with its address, made by the import.
            for (email, reason) in SUPPRESSED {
                let contact = find(&after, email);
                let consent = new.consent(contact["id"].as_str().expect("id")).await;
                consent.expect_status(200);
                assert_eq!(
                    (
                        &consent.json["suppression"]["reason"],
                        &consent.json["subscribed"]
                    ),
                    (&json!(reason), &json!(false)),
                    "{format}: {}",
                    consent.text
                );
                let change = &consent.json["last_change"];
                assert_eq!(
                    (&change["kind"], &change["source"]),
                    (
                        &json!("suppressed"),
                        &json!(format!("import:{}", source(format)))
                    ),
                    "{format}: {}",
                    consent.text
                );
                refuses_to_subscribe(&new, contact, reason).await;
            }
            // Only the suppressions of contacts move with an export.
            let reasons: Vec<Value> = new
                .suppressions()
                .await
                .iter()
                .map(|s| json!([s["email"], s["reason"]]))
                .collect();
            assert_eq!(reasons.len(), SUPPRESSED.len(), "{format}: {reasons:?}");
            assert!(
                !reasons.iter().any(|r| r[0] == "nobody@example.com"),
                "{format}: {reasons:?}"
            );
        }
    }
);

/// The contacts suppressed on the old server, and why.
const SUPPRESSED: [(&str, &str); 2] = [
    ("Manual@example.com", "manual"),
    ("bounced@example.com", "bounced"),
];

/// The import format an export file is read as (the source of the import's events).
fn source(format: &str) -> &'static str {
    if format == "csv" {
        "purrlist"
    } else {
        "ndjson"
    }
}

/// The contact of `contacts` with this email.
fn find<'a>(contacts: &'a [Value], email: &str) -> &'a Value {
    contacts
        .iter()
        .find(|c| c["email"] == email)
        .unwrap_or_else(|| panic!("no contact {email}"))
}

/// A PUT subscribing `contact` (without the override) is refused for its suppression, and
/// changes nothing.
async fn refuses_to_subscribe(app: &TestApp, contact: &Value, reason: &str) {
    let id = contact["id"].as_str().expect("id");
    let refused = app
        .put_contact(id, &json!({"email": contact["email"], "subscribed": true}))
        .await;
    refused.expect_error(409, "suppressed");
    assert!(
        refused.json["message"]
            .as_str()
            .is_some_and(|m| m.contains(reason)),
        "{}",
        refused.text
    );
    assert_eq!(app.get_contact(id).await.json["subscribed"], json!(false));
}

backend_test!(
    a_suppression_no_export_writes_is_a_bad_row_and_the_file_writes_nothing,
    |app| async move {
        app.upsert(json!([{"email": "a@example.com"}, {"email": "b@example.com"}]))
            .await;
        app.suppress("b@example.com", "manual")
            .await
            .expect_status(200);
        let dir = tempfile::tempdir().expect("tempdir");
        for format in ["csv", "ndjson"] {
            let file = dir.path().join(format!("contacts.{format}"));
            let path = file.to_str().expect("utf-8 path");
            let args = ["export", "--workspace", &app.workspace, "--format", format];
            purrlist(&app, &[&args[..], &["--output", path]].concat());
            let exported = std::fs::read_to_string(&file).expect("read export");
            let new = fresh_server_beside(&app).await;
            for (word, says) in [
                ("erased", "an erased address is never a contact"),
                ("cleaned", "must be bounced, complained or manual, or empty"),
            ] {
                // A hand-edited file: b's reason replaced.
                let edited = exported.replace("manual", word);
                assert_ne!(edited, exported, "{format}");
                let bad = dir.path().join(format!("edited.{format}"));
                std::fs::write(&bad, edited).expect("write");
                let bad = bad.to_str().expect("utf-8 path");
                let out = run(&new, &["import", "--workspace", &new.workspace, bad]);
                let err = String::from_utf8_lossy(&out.stderr);
                assert!(!out.status.success(), "{format} {word}: {err}");
                // b's own line in the file (no cell of this file holds a line break).
                let line = 1 + exported
                    .lines()
                    .position(|l| l.contains("b@example.com"))
                    .expect("b's line");
                let named = format!("line {line}: suppression: `suppression` ");
                assert!(
                    err.contains(&named) && err.contains(says),
                    "{format} {word}: {err}"
                );
                assert!(new.list_all().await.is_empty(), "{format} {word}");
            }
        }
    }
);
