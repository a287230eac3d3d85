//! Erasure on request (api.md §8, docs/consent.md "Erasure"): `POST /v1/privacy/erase` and
//! `purrlist privacy erase` delete the contact, strip personal data from its history, keep
//! only a salted hash, and keep the address out of every later write and import.

use crate::cli_import::{csv_file, import, purrlist, text};
use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

impl TestApp {
    /// `POST /v1/privacy/erase` in the test workspace.
    async fn erase(&self, email: &str) -> Reply {
        send(self.req(Method::POST, "/v1/privacy/erase").json(&json!({
            "newsletter_id": self.workspace, "email": email
        })))
        .await
    }

    /// Every event of the test workspace, as the feed shows them.
    async fn all_events(&self) -> Vec<Value> {
        let reply = send(self.req(
            Method::GET,
            &format!("/v1/events?newsletter_id={}&limit=1000", self.workspace),
        ))
        .await;
        reply.expect_status(200);
        reply.json["data"].as_array().expect("data").clone()
    }
}

/// Whether any text of the feed still holds one of these strings.
fn mentions(events: &[Value], needles: &[&str]) -> bool {
    let all = serde_json::to_string(events).expect("json");
    needles.iter().any(|n| all.contains(n))
}

backend_test!(
    erasure_deletes_the_contact_strips_its_history_and_keeps_the_address_out,
    |app| async move {
        let c = app
            .new_contact(json!({
                "email": "Erin@Example.com", "name": "Erin Doe", "first_name": "Erin",
                "custom_fields": {"city": "Oslo"}
            }))
            .await;
        let id = id_of(&c).to_owned();
        app.put_contact(
            &id,
            &json!({"email": "erin@example.com", "last_name": "Doe"}),
        )
        .await
        .expect_status(200);
        let bystander = app
            .new_contact(json!({"email": "bea@example.com", "name": "Bea"}))
            .await;
        assert!(mentions(&app.all_events().await, &["Erin", "Oslo"]));

        let erased = app.erase("ERIN@example.com").await;
        erased.expect_status(200);
        assert_eq!(erased.json["contact_id"], json!(id));
        assert_eq!(erased.json["events_scrubbed"], json!(2));
        let suppression_id = erased.json["suppression_id"]
            .as_str()
            .expect("id")
            .to_owned();

        app.get_contact(&id)
            .await
            .expect_error(404, "contact_not_found");
        let events = app.all_events().await;
        assert!(
            !mentions(&events, &["Erin", "erin", "Oslo", "Doe"]),
            "{events:?}"
        );
        assert!(mentions(&events, &["Bea"]), "the others' history is kept");
        let last = events.last().expect("an event");
        assert_eq!(last["type"], json!("erased"));
        assert_eq!(last["contact_id"], json!(id));
        assert_eq!(
            last["changes"],
            json!({"suppression": {"old": null, "new": "erased"}})
        );
        let list = app.suppressions().await;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0]["id"], json!(suppression_id));
        assert_eq!(list[0]["reason"], json!("erased"));
        assert_eq!(list[0]["email"], Value::Null);

        // Every way back in is refused: bulk (per item), a PUT that takes the address,
        // an import; even unsubscribed.
        let bulk = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "erin@example.com", "subscribed": false},
                {"email": "new@example.com"}
            ]}))
            .await;
        bulk.expect_status(200);
        assert_eq!(bulk.json["results"][0]["status"], json!("suppressed"));
        assert_eq!(bulk.json["results"][1]["status"], json!("created"));
        app.put_contact(
            id_of(&bystander),
            &json!({"email": "erin@example.com", "subscribed": false}),
        )
        .await
        .expect_error(409, "suppressed");
        let (_dir, file) = csv_file(b"email,name\nerin@example.com,Erin\n");
        let run = import(&app, &app.workspace, &file, &["--resubscribe"]);
        assert!(run.status.success(), "{}", text(&run.stderr));
        assert!(
            text(&run.stdout).contains("1 row(s) kept suppressed"),
            "{}",
            text(&run.stdout)
        );
        assert_eq!(app.by_email("erin@example.com").await, Value::Null);
        send(app.req(
            Method::DELETE,
            &format!("/v1/suppressions/{suppression_id}"),
        ))
        .await
        .expect_error(409, "suppressed");

        // The person signs up again: the override lets them back in and lifts the erasure.
        let back = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "erin@example.com", "override_suppression": true}
            ]}))
            .await;
        back.expect_status(200);
        assert_eq!(back.json["results"][0]["status"], json!("created"));
        assert!(app.suppressions().await.is_empty());
    }
);

backend_test!(
    erasure_reaches_earlier_contacts_of_the_address_and_addresses_never_seen,
    |app| async move {
        let first = app
            .new_contact(json!({"email": "old@example.com", "name": "Olga"}))
            .await;
        app.delete(&format!("/v1/contacts/{}", id_of(&first)))
            .await
            .expect_status(204);
        assert!(mentions(&app.all_events().await, &["Olga"]));
        let erased = app.erase("old@example.com").await;
        erased.expect_status(200);
        assert_eq!(erased.json["contact_id"], Value::Null);
        assert_eq!(erased.json["events_scrubbed"], json!(2));
        assert!(!mentions(&app.all_events().await, &["Olga", "old@"]));

        let never = app.erase("never@example.com").await;
        never.expect_status(200);
        assert_eq!(never.json["events_scrubbed"], json!(0));
        let refused = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [{"email": "never@example.com"}]}))
            .await;
        assert_eq!(refused.json["results"][0]["status"], json!("suppressed"));

        app.erase("not an address")
            .await
            .expect_error(400, "invalid_email");
        let read_only = app
            .key(purrlist::domain::api_key::WorkspaceGrant::All, true)
            .await;
        send(
            app.req_as(&read_only.secret, Method::POST, "/v1/privacy/erase")
                .json(&json!({"newsletter_id": app.workspace, "email": "x@example.com"})),
        )
        .await
        .expect_error(403, "forbidden");
        let other = app.create_workspace().await;
        let theirs = app.key_for(&[&other]).await;
        send(
            app.req_as(&theirs.secret, Method::POST, "/v1/privacy/erase")
                .json(&json!({"newsletter_id": app.workspace, "email": "x@example.com"})),
        )
        .await
        .expect_error(403, "forbidden");
        assert_eq!(app.suppressions().await.len(), 2);
    }
);

backend_test!(the_cli_erases_like_the_api, |app| async move {
    let c = app
        .new_contact(json!({"email": "cli@example.com", "name": "Cleo"}))
        .await;
    let run = purrlist(
        &app,
        &[
            "privacy",
            "erase",
            "--newsletter-id",
            &app.workspace,
            "--email",
            "cli@example.com",
        ],
    );
    assert!(run.status.success(), "{}", text(&run.stderr));
    let out = text(&run.stdout);
    assert!(
        out.contains(&format!("Erased contact {}", id_of(&c))),
        "{out}"
    );
    let id = out.lines().last().expect("a line").trim().to_owned();
    let list = app.suppressions().await;
    assert_eq!(list[0]["id"], json!(id));
    assert_eq!(list[0]["source"], json!("cli"));
    app.get_contact(id_of(&c))
        .await
        .expect_error(404, "contact_not_found");
    assert!(!mentions(&app.all_events().await, &["Cleo"]));

    let bad = purrlist(
        &app,
        &[
            "privacy",
            "erase",
            "--newsletter-id",
            "wks_nope",
            "--email",
            "a@example.com",
        ],
    );
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("no workspace"),
        "{}",
        text(&bad.stderr)
    );
});
