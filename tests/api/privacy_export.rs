//! `POST /v1/privacy/export` and `purrlist privacy export` (api.md §8): everything kept
//! about one address, with its evidence.

use crate::cli_import::{purrlist, text};
use crate::helpers::*;
use purrlist::domain::api_key::WorkspaceGrant;
use reqwest::Method;
use serde_json::{Value, json};

async fn export_as(app: &TestApp, key: &str, body: Value) -> Reply {
    send(
        app.req_as(key, Method::POST, "/v1/privacy/export")
            .json(&body),
    )
    .await
}

fn event_types(export: &Value) -> Vec<&str> {
    export["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect()
}

backend_test!(
    an_export_holds_the_contact_and_every_history_the_address_had,
    |app| async move {
        // An earlier contact with the address, deleted; a current one; one that moved away.
        let gone = app
            .new_contact(json!({"email": "noto@example.com", "consent": {"source": "form-2023"}}))
            .await;
        app.delete(&format!("/v1/contacts/{}", id_of(&gone)))
            .await
            .expect_status(204);
        let now = app
            .new_contact(json!({"email": "Noto@Example.com", "name": "Noto"}))
            .await;
        let moved = app.new_contact(json!({"email": "other@example.com"})).await;
        app.put_contact(id_of(&moved), &json!({"email": "noto-old@example.com"}))
            .await
            .expect_status(200);
        app.new_contact(json!({"email": "stranger@example.com", "name": "noto@example.com"}))
            .await;

        let read_only = app.key(WorkspaceGrant::All, true).await;
        let reply = export_as(
            &app,
            &read_only.secret,
            json!({"newsletter_id": app.workspace, "email": "NOTO@example.com"}),
        )
        .await;
        reply.expect_status(200);
        let export = reply.json;
        assert_eq!(export["email"], "noto@example.com");
        assert_eq!(export["contact"]["id"], now["id"]);
        assert_eq!(export["contact"]["name"], "Noto");
        assert_eq!(export["suppression"], Value::Null);
        assert_eq!(export["contact_ids"], json!([gone["id"], now["id"]]));
        assert_eq!(event_types(&export), ["created", "deleted", "created"]);
        let first = &export["history"][0];
        assert_eq!(first["evidence"]["consent"]["source"], "form-2023");
        assert_eq!(first["evidence"]["ip"], "127.0.0.1");

        // The address that moved away is found through the change of email.
        let moved_export = export_as(
            &app,
            &app.api_key,
            json!({"newsletter_id": app.workspace, "email": "other@example.com"}),
        )
        .await
        .json;
        assert_eq!(moved_export["contact"], Value::Null);
        assert_eq!(moved_export["contact_ids"], json!([moved["id"]]));
        assert_eq!(event_types(&moved_export), ["created", "updated"]);
    }
);

backend_test!(
    an_unknown_address_exports_nothing_and_bad_requests_are_refused,
    |app| async move {
        let reply = export_as(
            &app,
            &app.api_key,
            json!({"newsletter_id": app.workspace, "email": "nobody@example.com"}),
        )
        .await;
        reply.expect_status(200);
        assert_eq!(reply.json["contact"], Value::Null);
        assert_eq!(reply.json["history"], json!([]));
        assert_eq!(reply.json["contact_ids"], json!([]));

        export_as(&app, &app.api_key, json!({"newsletter_id": app.workspace}))
            .await
            .expect_error(400, "missing_field");
        export_as(
            &app,
            &app.api_key,
            json!({"newsletter_id": app.workspace, "email": "not an address"}),
        )
        .await
        .expect_error(400, "invalid_email");
        export_as(
            &app,
            &app.api_key,
            json!({"newsletter_id": app.workspace, "email": 5}),
        )
        .await
        .expect_error(400, "invalid_email");

        // Another workspace's key sees nothing of this one.
        app.new_contact(json!({"email": "noto@example.com"})).await;
        let other = app.create_workspace().await;
        let narrow = app.key_for(&[&other]).await;
        export_as(
            &app,
            &narrow.secret,
            json!({"newsletter_id": app.workspace, "email": "noto@example.com"}),
        )
        .await
        .expect_error(403, "forbidden");
        let own = export_as(&app, &narrow.secret, json!({"email": "noto@example.com"})).await;
        own.expect_status(200);
        assert_eq!(own.json["contact"], Value::Null);
        assert_eq!(own.json["newsletter_id"], other.as_str());
        send(
            app.anonymous(Method::POST, "/v1/privacy/export")
                .json(&json!({})),
        )
        .await
        .expect_error(401, "unauthorized");
    }
);

backend_test!(the_cli_prints_the_same_export, |app| async move {
    let contact = app.new_contact(json!({"email": "noto@example.com"})).await;
    app.put_contact(
        id_of(&contact),
        &json!({"email": "noto@example.com", "subscribed": false}),
    )
    .await
    .expect_status(200);
    let api = export_as(
        &app,
        &app.api_key,
        json!({"newsletter_id": app.workspace, "email": "noto@example.com"}),
    )
    .await
    .json;
    let out = purrlist(
        &app,
        &[
            "privacy",
            "export",
            "--newsletter-id",
            &app.workspace,
            "--email",
            "noto@example.com",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cli: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    for field in [
        "newsletter_id",
        "email",
        "contact",
        "contact_ids",
        "history",
        "suppression",
    ] {
        assert_eq!(cli[field], api[field], "{field}");
    }
    let refused = purrlist(
        &app,
        &[
            "privacy",
            "export",
            "--newsletter-id",
            &app.workspace,
            "--email",
            "nope",
        ],
    );
    assert!(!refused.status.success());
});

backend_test!(
    an_export_finds_past_holders_of_an_address_in_any_spelling,
    |app| async move {
        // Spellings of one address (docs/api.md, "Emails": ASCII letters of the local part
        // in any case, the domain as A-labels) that differ from the text in the history.
        let spellings = [
            ("JOSÉ@example.com", "josÉ@EXAMPLE.com"),
            ("user@bücher.de", "USER@xn--bcher-kva.de"),
            ("user@xn--mnchen-3ya.de", "User@München.de"),
            ("Mia@Example.com", "mIA@example.COM"),
        ];
        for (stored, asked) in spellings {
            let gone = app.new_contact(json!({"email": stored})).await;
            app.delete(&format!("/v1/contacts/{}", id_of(&gone)))
                .await
                .expect_status(204);
            let moved = app.new_contact(json!({"email": stored})).await;
            let elsewhere = format!("moved-{}@example.org", id_of(&moved).to_lowercase());
            app.put_contact(id_of(&moved), &json!({"email": elsewhere}))
                .await
                .expect_status(200);
            let reply = export_as(
                &app,
                &app.api_key,
                json!({"newsletter_id": app.workspace, "email": asked}),
            )
            .await;
            reply.expect_status(200);
            // Another mailbox by that rule: upper and lower case of a non-ASCII letter.
            let other = export_as(
                &app,
                &app.api_key,
                json!({"newsletter_id": app.workspace, "email": "josé@example.com"}),
            )
            .await;
            assert_eq!(other.json["contact_ids"], json!([]), "{}", other.text);
            assert_eq!(
                reply.json["contact_ids"],
                json!([gone["id"], moved["id"]]),
                "{stored} asked as {asked}: {}",
                reply.text
            );
        }
    }
);
