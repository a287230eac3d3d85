//! The migration that recomputes stored normal forms of emails (SQLite 0005, PostgreSQL
//! 0003): a database written under the old rule (the whole address lower-cased) is rewound
//! to before it, `purrlist migrate` runs, and every contact is found by the new rule or,
//! when two contacts turn out to be one mailbox, kept apart and still reachable.

use crate::emails::{encoded, found};
use crate::helpers::*;
use serde_json::json;

/// `purrlist migrate`; returns (stdout, stderr).
fn migrate(app: &TestApp) -> (String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_purrlist"))
        .env_remove("PURRLIST_DATABASE_URL")
        .env_remove("PURRLIST_CONFIG")
        .args(["migrate", "--database", &app.database_url()])
        .output()
        .expect("run purrlist");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (text(&out.stdout), text(&out.stderr))
}

backend_test!(
    stored_emails_are_renormalised_and_none_is_lost,
    |app| async move {
        let idn = app
            .new_contact(json!({"email": "user@bücher.de", "name": "IDN"}))
            .await;
        let ascii = app
            .new_contact(json!({"email": "placeholder@example.com"}))
            .await;
        let jose = app.new_contact(json!({"email": "JOSÉ@example.com"})).await;
        let kelvin = app
            .new_contact(json!({"email": "\u{212A}ate@example.com"}))
            .await;
        // As an older purrlist stored them: normal form = the whole address lower-cased,
        // so the A-label spelling of the IDN could be a second contact.
        app.run_sql(
            "UPDATE contacts SET email_norm = 'user@bücher.de' WHERE email = 'user@bücher.de';
             UPDATE contacts SET email = 'user@xn--bcher-kva.de', email_norm = 'user@xn--bcher-kva.de'
                 WHERE email = 'placeholder@example.com';
             UPDATE contacts SET email_norm = 'josé@example.com' WHERE email = 'JOSÉ@example.com';
             UPDATE contacts SET email_norm = 'kate@example.com' WHERE email = '\u{212A}ate@example.com';",
            "PRAGMA user_version = 4;",
            "DELETE FROM schema_migrations WHERE version >= 3;",
        )
        .await;
        let (out, log) = migrate(&app);
        assert!(out.contains("up to date"), "{out}");
        // The pair that is one mailbox is named in the log, by ids only.
        assert!(log.contains("two contacts hold one mailbox"), "{log}");
        assert!(
            log.contains(id_of(&idn)) && log.contains(id_of(&ascii)),
            "{log}"
        );
        assert!(!log.contains("bücher"), "{log}");

        // Non-ASCII local parts are compared as given now.
        let by_jose = found(&app, &encoded("JOSÉ@example.com")).await;
        assert_eq!(by_jose.len(), 1);
        assert_eq!(by_jose[0]["id"], jose["id"]);
        assert!(found(&app, &encoded("josé@example.com")).await.is_empty());
        let by_kelvin = found(&app, &encoded("\u{212A}ate@EXAMPLE.com")).await;
        assert_eq!(by_kelvin.len(), 1);
        assert_eq!(by_kelvin[0]["id"], kelvin["id"]);
        let reply = app.upsert(json!([{"email": "kate@example.com"}])).await;
        assert_eq!(
            reply["results"][0]["status"], "created",
            "kate is not the kelvin contact"
        );
        assert_eq!(app.get_contact(id_of(&kelvin)).await.json, kelvin);

        // One mailbox stored twice: the contact already holding the new form keeps it, the
        // other keeps its old one, unchanged and reachable by id; taking the address is a 409.
        let by_idn = found(&app, &encoded("USER@bücher.de")).await;
        assert_eq!(by_idn.len(), 1);
        assert_eq!(by_idn[0]["id"], ascii["id"]);
        assert_eq!(app.get_contact(id_of(&idn)).await.json, idn);
        app.put_contact(
            id_of(&idn),
            &json!({"email": "user@bücher.de", "name": "Again"}),
        )
        .await
        .expect_error(409, "email_taken");
        app.put_contact(id_of(&idn), &json!({"email": "user2@bücher.de"}))
            .await
            .expect_status(200);
        assert_eq!(
            found(&app, &encoded("user2@xn--bcher-kva.de")).await.len(),
            1
        );

        // Running it again changes nothing.
        let before = app.snapshot().await;
        migrate(&app);
        assert_eq!(app.snapshot().await, before);
    }
);
