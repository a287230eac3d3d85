//! Suppression (api.md §8, docs/consent.md): each reason keeps an address from being
//! subscribed again through PUT, bulk (per item) and import, unless the override is sent;
//! manual suppressions are added and lifted; the consent endpoint and the feed show it.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

impl TestApp {
    /// `POST /v1/suppressions` in the test workspace.
    pub async fn suppress(&self, email: &str, reason: &str) -> Reply {
        send(self.req(Method::POST, "/v1/suppressions").json(&json!({
            "newsletter_id": self.workspace, "email": email, "reason": reason
        })))
        .await
    }

    /// The types of a contact's events, in feed order.
    pub async fn event_types(&self, contact: &str) -> Vec<String> {
        let reply = send(self.req(
            Method::GET,
            &format!(
                "/v1/events?newsletter_id={}&contact_id={contact}&limit=1000",
                self.workspace
            ),
        ))
        .await;
        reply.expect_status(200);
        reply.json["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|e| e["type"].as_str().expect("type").to_owned())
            .collect()
    }

    /// `GET /v1/contacts/{id}/consent`.
    pub async fn consent(&self, contact: &str) -> Reply {
        send(self.req(Method::GET, &format!("/v1/contacts/{contact}/consent"))).await
    }

    /// The contact of the test workspace with this email (`Null` when none).
    pub async fn by_email(&self, email: &str) -> Value {
        let reply = self
            .list(&format!("newsletter_id={}&email={email}", self.workspace))
            .await;
        reply.expect_status(200);
        reply.json["data"][0].clone()
    }

    /// Every suppression of the test workspace.
    pub async fn suppressions(&self) -> Vec<Value> {
        let reply = send(self.req(
            Method::GET,
            &format!("/v1/suppressions?newsletter_id={}", self.workspace),
        ))
        .await;
        reply.expect_status(200);
        reply.json["data"].as_array().expect("data").clone()
    }
}

backend_test!(
    each_reason_keeps_put_from_subscribing_until_the_override,
    |app| async move {
        for reason in ["bounced", "complained", "manual"] {
            let email = format!("{reason}@example.com");
            let c = app.new_contact(json!({"email": email, "name": "A"})).await;
            let id = id_of(&c);
            let s = app.suppress(&email, reason).await;
            s.expect_status(200);
            assert_eq!(s.json["reason"], json!(reason));
            assert_eq!(s.json["email"], json!(email));
            assert_eq!(app.get_contact(id).await.json["subscribed"], json!(false));

            let refused = app
                .put_contact(id, &json!({"email": email, "subscribed": true}))
                .await;
            refused.expect_error(409, "suppressed");
            assert!(
                refused.json["message"]
                    .as_str()
                    .expect("message")
                    .contains(reason),
                "{}",
                refused.text
            );
            assert_eq!(app.get_contact(id).await.json["subscribed"], json!(false));

            // A write that does not try to subscribe goes ahead.
            let renamed = app
                .put_contact(id, &json!({"email": email, "name": "B"}))
                .await;
            renamed.expect_status(200);
            assert_eq!(renamed.json["name"], json!("B"));
            let consent = app.consent(id).await;
            consent.expect_status(200);
            assert_eq!(consent.json["suppression"]["reason"], json!(reason));
            assert_eq!(consent.json["pending_confirmation"], json!(false));

            let overridden = app
                .put_contact(
                    id,
                    &json!({"email": email, "subscribed": true, "override_suppression": true}),
                )
                .await;
            overridden.expect_status(200);
            assert_eq!(overridden.json["subscribed"], json!(true));
            let consent = app.consent(id).await;
            assert_eq!(consent.json["suppression"], Value::Null);
            assert_eq!(consent.json["subscribed"], json!(true));
            assert_eq!(consent.json["last_change"]["kind"], json!("resubscribed"));
            assert_eq!(
                consent.json["last_change"]["actor"]["type"],
                json!("api_key")
            );
            assert_eq!(
                app.event_types(id).await,
                [
                    "created",
                    "suppressed",
                    "updated",
                    "unsuppressed",
                    "resubscribed"
                ]
            );
        }
    }
);

backend_test!(
    bulk_refuses_suppressed_items_one_by_one_and_applies_the_rest,
    |app| async move {
        let kept = app.new_contact(json!({"email": "kept@example.com"})).await;
        app.suppress("kept@example.com", "bounced")
            .await
            .expect_status(200);
        // An address with no contact is suppressed too: a new contact may not subscribe it.
        app.suppress("nobody@example.com", "complained")
            .await
            .expect_status(200);
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "fresh@example.com"},
                {"email": "kept@example.com", "subscribed": true},
                {"email": "nobody@example.com"},
                {"email": "kept@example.com", "name": "Renamed"},
                {"email": "nobody@example.com", "subscribed": false, "name": "Out"}
            ]}))
            .await;
        reply.expect_status(200);
        assert_eq!(reply.json["synced"], json!(3));
        assert_eq!(reply.json["suppressed"], json!(2));
        let results = reply.json["results"].as_array().expect("results");
        let statuses: Vec<&str> = results
            .iter()
            .map(|r| r["status"].as_str().expect("status"))
            .collect();
        assert_eq!(
            statuses,
            ["created", "suppressed", "suppressed", "updated", "created"]
        );
        assert_eq!(results[1]["id"], json!(id_of(&kept)));
        assert_eq!(results[1]["code"], json!("suppressed"));
        assert!(results[2].get("id").is_none(), "{}", results[2]);
        let contact = app.get_contact(id_of(&kept)).await;
        assert_eq!(contact.json["subscribed"], json!(false));
        assert_eq!(contact.json["name"], json!("Renamed"));
        let out = app.by_email("nobody@example.com").await;
        assert_eq!(out["subscribed"], json!(false));

        // A Notocat client that never suppresses sees the usual answer, with no new field.
        let plain = app
            .bulk(
                &json!({"newsletter_id": app.workspace, "contacts": [{"email": "x@example.com"}]}),
            )
            .await;
        plain.expect_status(200);
        assert!(plain.json.get("suppressed").is_none(), "{}", plain.text);

        let overridden = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "kept@example.com", "subscribed": true, "override_suppression": true}
            ]}))
            .await;
        overridden.expect_status(200);
        assert_eq!(overridden.json["results"][0]["status"], json!("updated"));
        assert_eq!(
            app.get_contact(id_of(&kept)).await.json["subscribed"],
            json!(true)
        );
        let left: Vec<Value> = app.suppressions().await;
        assert_eq!(left.len(), 1, "{left:?}");
        assert_eq!(left[0]["email"], json!("nobody@example.com"));
    }
);

backend_test!(
    manual_suppressions_are_added_listed_and_lifted_by_their_rules,
    |app| async move {
        let c = app.new_contact(json!({"email": "m@example.com"})).await;
        let manual = app.suppress("M@Example.com", "manual").await;
        manual.expect_status(200);
        let manual_id = manual.json["id"].as_str().expect("id").to_owned();
        assert_eq!(manual.json["source"], json!("api_key"));
        let bounced = app.suppress("b@example.com", "bounced").await;
        let bounced_id = bounced.json["id"].as_str().expect("id").to_owned();
        app.suppress("b@example.com", "bounced")
            .await
            .expect_status(200);
        app.suppress("x@example.com", "erased")
            .await
            .expect_error(400, "invalid_field");
        app.suppress("not an address", "manual")
            .await
            .expect_error(400, "invalid_email");

        let list = send(app.req(
            Method::GET,
            &format!("/v1/suppressions?newsletter_id={}&limit=1", app.workspace),
        ))
        .await;
        list.expect_status(200);
        assert_eq!(list.json["total"], json!(2));
        assert_eq!(list.json["data"].as_array().expect("data").len(), 1);

        let lift = |id: String, query: &'static str| {
            let app = &app;
            async move { send(app.req(Method::DELETE, &format!("/v1/suppressions/{id}{query}"))).await }
        };
        lift(bounced_id.clone(), "")
            .await
            .expect_error(409, "suppressed");
        lift(bounced_id.clone(), "?override_suppression=true")
            .await
            .expect_status(204);
        lift(bounced_id, "")
            .await
            .expect_error(404, "suppression_not_found");
        lift("nope".to_owned(), "")
            .await
            .expect_error(404, "suppression_not_found");
        lift(manual_id, "").await.expect_status(204);
        assert!(app.suppressions().await.is_empty());
        // Lifting keeps the contact unsubscribed; it may now be subscribed again.
        assert_eq!(
            app.get_contact(id_of(&c)).await.json["subscribed"],
            json!(false)
        );
        app.put_contact(
            id_of(&c),
            &json!({"email": "m@example.com", "subscribed": true}),
        )
        .await
        .expect_status(200);
        assert_eq!(
            app.event_types(id_of(&c)).await,
            ["created", "suppressed", "unsuppressed", "resubscribed"]
        );
    }
);

backend_test!(
    read_only_keys_and_other_workspaces_cannot_touch_suppressions,
    |app| async move {
        let c = app.new_contact(json!({"email": "a@example.com"})).await;
        let s = app.suppress("a@example.com", "manual").await;
        let id = s.json["id"].as_str().expect("id").to_owned();
        let read_only = app
            .key(purrlist::domain::api_key::WorkspaceGrant::All, true)
            .await;
        let ro = |method: Method, path: String| {
            let (app, key) = (&app, read_only.secret.clone());
            async move { send(app.req_as(&key, method, &path)).await }
        };
        let post = send(
            app.req_as(&read_only.secret, Method::POST, "/v1/suppressions")
                .json(&json!({"newsletter_id": app.workspace, "email": "b@example.com"})),
        )
        .await;
        post.expect_error(403, "forbidden");
        ro(Method::DELETE, format!("/v1/suppressions/{id}"))
            .await
            .expect_error(403, "forbidden");
        ro(
            Method::GET,
            format!("/v1/suppressions?newsletter_id={}", app.workspace),
        )
        .await
        .expect_status(200);
        ro(Method::GET, format!("/v1/contacts/{}/consent", id_of(&c)))
            .await
            .expect_status(200);

        let other = app.create_workspace().await;
        let theirs = app.key_for(&[&other]).await;
        let as_other = |method: Method, path: String| {
            let (app, key) = (&app, theirs.secret.clone());
            async move { send(app.req_as(&key, method, &path)).await }
        };
        as_other(
            Method::GET,
            format!("/v1/suppressions?newsletter_id={}", app.workspace),
        )
        .await
        .expect_error(403, "forbidden");
        as_other(Method::DELETE, format!("/v1/suppressions/{id}"))
            .await
            .expect_error(404, "suppression_not_found");
        as_other(Method::GET, format!("/v1/contacts/{}/consent", id_of(&c)))
            .await
            .expect_error(404, "contact_not_found");
        let own = as_other(Method::GET, "/v1/suppressions".to_owned()).await;
        own.expect_status(200);
        assert_eq!(own.json["total"], json!(0));
        // The same address in another workspace is not suppressed there.
        let there = send(
            app.req_as(&theirs.secret, Method::POST, "/v1/contacts")
                .json(&json!({"contacts": [{"email": "a@example.com"}]})),
        )
        .await;
        there.expect_status(200);
        assert_eq!(there.json["results"][0]["status"], json!("created"));
        assert_eq!(app.suppressions().await.len(), 1);
    }
);

backend_test!(
    suppression_writes_honour_idempotency_keys,
    |app| async move {
        let post = |email: &str, key: &str| {
            app.req(Method::POST, "/v1/suppressions")
                .header("idempotency-key", key)
                .json(&json!({"newsletter_id": app.workspace, "email": email}))
        };
        send(post("a@example.com", "k-1")).await.expect_status(200);
        let replayed = send(post("a@example.com", "k-1")).await;
        replayed.expect_status(200);
        assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
        send(post("b@example.com", "k-1"))
            .await
            .expect_error(422, "idempotency_key_reused");
        let before = app.snapshot().await;
        let bad = send(post("c@example.com", &"k".repeat(256))).await;
        assert_eq!(bad.status, 400, "{}", bad.text);
        assert_eq!(
            app.snapshot().await,
            before,
            "a refused key changes nothing"
        );
    }
);
