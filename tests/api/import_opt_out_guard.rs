//! A generic CSV whose own text column says a person opted out (`state: cancelled`) is
//! refused at that row, by the CLI and over HTTP, rather than imported as a subscribed
//! contact with the word kept as a custom field; naming the tool (`--format kit`,
//! `format=kit`) reads it, and `--map COLUMN=custom_fields.KEY` keeps it as text.

use crate::cli_import::{csv_file, import, text};
use crate::cli_import_formats::bad_lines;
use serde_json::json;

/// A Kit export as it would read if its email column were spelled `email` (docs/import.md,
/// "Kit": the real header is not published), so nothing detects it as Kit.
const KIT_AS_GENERIC: &[u8] = b"email,first_name,state,created_at\n\
    alice@kit.dev,Alice,active,2023-01-27T11:43:55Z\n\
    bob@kit.dev,Bob,Cancelled,2023-02-03T11:43:55Z\n\
    carol@kit.dev,Carol,bounced,2023-02-04T11:43:55Z\n";

backend_test!(
    an_opt_out_word_in_a_generic_text_column_refuses_its_row,
    |app| async move {
        let (_dir, file) = csv_file(KIT_AS_GENERIC);
        let refused = import(&app, &app.workspace, &file, &[]);
        assert!(!refused.status.success());
        let stderr = text(&refused.stderr);
        assert_eq!(bad_lines(&refused), [3, 4], "{stderr}");
        assert!(stderr.contains("`state` says \"Cancelled\""), "{stderr}");
        assert!(app.list_all().await.is_empty(), "the file wrote nothing");

        // Over HTTP: the job fails at the same rows and writes nothing.
        let id = app.start_import("", KIT_AS_GENERIC).await;
        let job = app.finished_import(&id).await;
        assert_eq!(job["status"], "failed", "{job}");
        assert_eq!(job["bad_rows"][0]["line"], 3, "{job}");
        assert_eq!(job["bad_rows"][0]["field"], "state", "{job}");
        assert!(app.list_all().await.is_empty());

        // Named as what it is, Kit's states are read: only Alice is subscribed.
        let id = app.start_import("format=kit", KIT_AS_GENERIC).await;
        let job = app.finished_import(&id).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let all = app.list_all().await;
        let subscribed = |email: &str| {
            all.iter()
                .find(|c| c["email"] == email)
                .map(|c| c["subscribed"].clone())
        };
        assert_eq!(subscribed("alice@kit.dev"), Some(json!(true)));
        assert_eq!(subscribed("bob@kit.dev"), Some(json!(false)));
        assert_eq!(subscribed("carol@kit.dev"), Some(json!(false)));

        // Said to be text, the column is kept as text (new addresses, so nothing merges).
        let (_dir2, other) = csv_file(b"email,state\ndan@example.com,inactive\n");
        let mapped = import(
            &app,
            &app.workspace,
            &other,
            &["--map", "state=custom_fields.state"],
        );
        assert!(mapped.status.success(), "{}", text(&mapped.stderr));
        let all = app.list_all().await;
        let dan = all
            .iter()
            .find(|c| c["email"] == "dan@example.com")
            .expect("dan");
        assert_eq!(dan["custom_fields"], json!({"state": "inactive"}));
    }
);
