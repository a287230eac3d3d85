//! Moving out and in again: a `purrlist export` (CSV and NDJSON) imported with `purrlist
//! import` into a fresh server keeps every id, unsubscribe token, state and sign-up time,
//! so a `/u/<token>` link mailed before the move works after it.

use crate::helpers::*;
use crate::unsubscribe::{open_page, press_unsubscribe, token_of};
use serde_json::{Value, json};
use std::process::Output;

/// Runs the binary against `app`'s database.
fn purrlist(app: &TestApp, args: &[&str]) -> Output {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_purrlist"))
        .env_remove("PURRLIST_DATABASE_URL")
        .env_remove("PURRLIST_CONFIG")
        .args(["--database", &app.database_url()])
        .args(args)
        .output()
        .expect("run purrlist");
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
            {"email": "last@example.com", "last_name": "@at"}
        ]))
        .await;
        let before = app.list_all().await;
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

            let new = fresh_server_beside(&app).await;
            let out = purrlist(&new, &["import", "--workspace", &new.workspace, path]);
            let report = String::from_utf8_lossy(&out.stdout);
            assert!(report.contains("4 created"), "{format}: {report}");

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
            let left = after
                .iter()
                .find(|c| c["email"] == "left@example.com")
                .expect("left");
            assert_eq!(left["subscribed"], false);
        }
    }
);
