//! Consent evidence on every event (api.md §8, docs/consent.md#evidence): source, client
//! IP (from `X-Forwarded-For` only behind a trusted proxy), user agent, request id, and
//! the `consent` an integrator forwards on a PUT or bulk item.

use crate::events::all_events;
use crate::helpers::*;
use crate::unsubscribe::{press_unsubscribe, token_of};
use purrlist::domain::evidence_proxies::TrustedProxies;
use reqwest::Method;
use serde_json::{Value, json};

fn behind_local_proxy() -> purrlist::config::Config {
    let mut config = TestApp::config();
    config.trusted_proxies = TrustedProxies::parse(["127.0.0.1", "::1"]).expect("proxies");
    config
}

/// The last event of the test workspace.
async fn last_event(app: &TestApp) -> Value {
    all_events(app, None).await.pop().expect("an event")
}

backend_test!(
    each_write_keeps_its_source_ip_user_agent_and_request_id,
    |app| async move {
        let created = send(
            app.req(Method::POST, "/v1/contacts")
                .header("user-agent", "shop-sync/2.1")
                .header("x-request-id", "bulk-req-1")
                .json(&json!({"newsletter_id": app.workspace, "contacts": [{"email": "a@example.com"}]})),
        )
        .await;
        created.expect_status(200);
        let id = created.json["results"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let event = last_event(&app).await;
        assert_eq!(event["source"], "bulk");
        assert_eq!(
            event["evidence"],
            json!({"source": "bulk", "ip": "127.0.0.1", "user_agent": "shop-sync/2.1",
                   "request_id": "bulk-req-1", "consent": null})
        );

        send(
            app.req(Method::PUT, &format!("/v1/contacts/{id}"))
                .header("user-agent", "crm/1")
                .json(&json!({"email": "a@example.com", "name": "A"})),
        )
        .await
        .expect_status(200);
        let event = last_event(&app).await;
        assert_eq!(event["source"], "api");
        assert_eq!(event["evidence"]["user_agent"], "crm/1");
        // No x-request-id sent: the server's own id, the one it answered with, is kept.
        assert!(
            event["evidence"]["request_id"]
                .as_str()
                .is_some_and(|r| r.len() == 21)
        );

        let contact = app.get_contact(&id).await.json;
        press_unsubscribe(&app, token_of(&contact)).await;
        let event = last_event(&app).await;
        assert_eq!(event["type"], "unsubscribed");
        assert_eq!(event["source"], "unsubscribe_link");
        assert_eq!(event["evidence"]["ip"], "127.0.0.1");

        app.delete(&format!("/v1/contacts/{id}"))
            .await
            .expect_status(204);
        assert_eq!(last_event(&app).await["source"], "api");
    }
);

backend_test!(
    forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy,
    |app| async move {
        send(
            app.req(Method::POST, "/v1/contacts")
                .header("x-forwarded-for", "203.0.113.9")
                .json(&json!({"newsletter_id": app.workspace, "contacts": [{"email": "a@example.com"}]})),
        )
        .await
        .expect_status(200);
        assert_eq!(last_event(&app).await["evidence"]["ip"], "127.0.0.1");
    }
);

backend_test!(
    behind_a_trusted_proxy_the_forwarded_client_is_kept,
    config = behind_local_proxy(),
    |app| async move {
        // A forged first entry, then the client the (trusted) proxy saw.
        send(
            app.req(Method::POST, "/v1/contacts")
                .header("x-forwarded-for", "198.51.100.66, 203.0.113.9")
                .json(&json!({"newsletter_id": app.workspace, "contacts": [{"email": "a@example.com"}]})),
        )
        .await
        .expect_status(200);
        assert_eq!(last_event(&app).await["evidence"]["ip"], "203.0.113.9");
        // Without the header the proxy itself is the client.
        app.upsert(json!([{"email": "b@example.com"}])).await;
        assert_eq!(last_event(&app).await["evidence"]["ip"], "127.0.0.1");
    }
);

backend_test!(
    forwarded_consent_is_kept_on_that_writes_event,
    |app| async move {
        let consent = json!({"source": "signup-form", "ip": "198.51.100.23",
            "user_agent": "Mozilla/5.0", "at": "2024-05-01T11:59:58+02:00"});
        app.upsert(json!([
            {"email": "with@example.com", "consent": consent},
            {"email": "without@example.com"}
        ]))
        .await;
        let events = all_events(&app, None).await;
        assert_eq!(
            events[0]["evidence"]["consent"],
            json!({"source": "signup-form", "ip": "198.51.100.23", "user_agent": "Mozilla/5.0",
                   "at": "2024-05-01T09:59:58.000Z"})
        );
        assert_eq!(
            events[0]["evidence"]["ip"], "127.0.0.1",
            "the request's own beside it"
        );
        assert_eq!(events[1]["evidence"]["consent"], Value::Null);

        let id = id_of(&app.new_contact(json!({"email": "put@example.com"})).await).to_owned();
        app.put_contact(
            &id,
            &json!({"email": "put@example.com", "subscribed": false, "consent": {"source": "crm"}}),
        )
        .await
        .expect_status(200);
        let event = last_event(&app).await;
        assert_eq!(event["type"], "unsubscribed");
        assert_eq!(event["evidence"]["consent"]["source"], "crm");
        assert_eq!(event["evidence"]["consent"]["ip"], Value::Null);

        // A client that never sends it sees the contact exactly as before.
        let shown = app.get_contact(&id).await.json;
        assert!(shown.get("consent").is_none(), "{shown}");
    }
);

backend_test!(
    a_bad_consent_is_a_400_on_that_field_and_writes_nothing,
    |app| async move {
        let id = id_of(&app.new_contact(json!({"email": "a@example.com"})).await).to_owned();
        let before = all_events(&app, None).await.len();
        for bad in [
            json!("yes"),
            json!({"ip": "999.1.1.1"}),
            json!({"at": "tomorrow"}),
        ] {
            app.put_contact(
                &id,
                &json!({"email": "a@example.com", "name": "X", "consent": bad}),
            )
            .await
            .expect_error(400, "invalid_field");
        }
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "ok@example.com"},
                {"email": "bad@example.com", "consent": {"ip": 5}}
            ]}))
            .await;
        reply.expect_error(400, "invalid_contacts");
        assert_eq!(reply.json["details"][0]["index"], 1);
        assert_eq!(reply.json["details"][0]["field"], "consent");
        assert_eq!(all_events(&app, None).await.len(), before);
        assert_eq!(app.list_all().await.len(), 1);
        assert_eq!(app.get_contact(&id).await.json["name"], "");
    }
);

backend_test!(
    an_import_over_http_keeps_the_uploads_evidence_on_each_event,
    |app| async move {
        let upload = send(
            app.req(
                Method::POST,
                &format!("/v1/imports?newsletter_id={}", app.workspace),
            )
            .header("content-type", "text/csv")
            .header("user-agent", "uploader/1")
            .header("x-request-id", "import-req-7")
            .body("email,name\nada@example.com,Ada\nbob@example.com,Bob\n"),
        )
        .await;
        upload.expect_status(202);
        let job = app
            .finished_import(upload.json["id"].as_str().expect("id"))
            .await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let events = all_events(&app, None).await;
        assert_eq!(events.len(), 2);
        for event in &events {
            assert_eq!(
                event["evidence"],
                json!({"source": "import:csv", "ip": "127.0.0.1", "user_agent": "uploader/1",
                       "request_id": "import-req-7", "consent": null}),
                "{event}"
            );
        }
    }
);
