//! `/v1/webhooks` as a client sees it: the shapes, the secret shown once, access rules,
//! bad input refused with the field named, and private targets refused (api.md §6).

use crate::helpers::*;
use purrlist::config::Config;
use reqwest::Method;
use serde_json::{Value, json};

/// The test configuration with private targets allowed (the receivers are on loopback).
pub fn allowing_private() -> Config {
    let mut config = TestApp::config();
    config.webhooks.allow_private = true;
    config
}

impl TestApp {
    /// `POST /v1/webhooks` for the test workspace; panics unless 201.
    pub async fn create_webhook(&self, url: &str, extra: Value) -> Value {
        let mut body = json!({"newsletter_id": self.workspace, "url": url});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        let reply = send(self.req(Method::POST, "/v1/webhooks").json(&body)).await;
        reply.expect_status(201);
        reply.json
    }
}

backend_test!(
    create_shows_the_secret_once_and_lists_without_it,
    config = allowing_private(),
    |app| async move {
        let created = app
            .create_webhook("http://127.0.0.1:9/hook", json!({"description": "crm"}))
            .await;
        let id = created["id"].as_str().expect("id");
        assert!(id.starts_with("whk_") && id.len() == 25, "{id}");
        let secret = created["secret"].as_str().expect("secret");
        assert!(
            secret.starts_with("whsec_") && secret.len() >= 6 + 32,
            "{secret}"
        );
        assert_eq!(created["events"], Value::Null);
        assert_eq!(
            (created["enabled"].as_bool(), created["state"].as_str()),
            (Some(true), Some("active"))
        );
        let keys: Vec<String> = created
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys().cloned())
            .collect();
        assert_eq!(
            keys,
            [
                "id",
                "newsletter_id",
                "url",
                "events",
                "description",
                "enabled",
                "state",
                "secret",
                "createdAt",
                "updatedAt"
            ]
        );

        let one = send(app.req(Method::GET, &format!("/v1/webhooks/{id}"))).await;
        one.expect_status(200);
        assert!(one.json.get("secret").is_none(), "{}", one.text);
        let list = send(app.req(
            Method::GET,
            &format!("/v1/webhooks?newsletter_id={}", app.workspace),
        ))
        .await;
        list.expect_status(200);
        assert_eq!(list.json["data"][0]["id"], id);
        assert!(!list.text.contains(secret));

        let patched = send(
            app.req(Method::PATCH, &format!("/v1/webhooks/{id}"))
                .json(&json!({
                    "events": ["contact.unsubscribed"], "enabled": false, "description": "off"
                })),
        )
        .await;
        patched.expect_status(200);
        assert_eq!(patched.json["events"], json!(["contact.unsubscribed"]));
        assert_eq!(
            (
                patched.json["enabled"].as_bool(),
                patched.json["state"].as_str()
            ),
            (Some(false), Some("disabled"))
        );

        let rotated =
            send(app.req(Method::POST, &format!("/v1/webhooks/{id}/rotate-secret"))).await;
        rotated.expect_status(200);
        let new = rotated.json["secret"].as_str().expect("secret");
        assert!(new.starts_with("whsec_") && new != secret);

        send(app.req(Method::DELETE, &format!("/v1/webhooks/{id}")))
            .await
            .expect_status(204);
        send(app.req(Method::GET, &format!("/v1/webhooks/{id}")))
            .await
            .expect_error(404, "webhook_not_found");
        send(app.req(Method::DELETE, &format!("/v1/webhooks/{id}")))
            .await
            .expect_error(404, "webhook_not_found");
    }
);

backend_test!(
    bad_input_is_refused_with_the_field_named,
    config = allowing_private(),
    |app| async move {
        let ws = app.workspace.clone();
        for (body, status, code, field) in [
            (json!({"newsletter_id": ws}), 400, "missing_field", "url"),
            (
                json!({"newsletter_id": ws, "url": 5}),
                400,
                "invalid_field",
                "url",
            ),
            (
                json!({"newsletter_id": ws, "url": "ftp://example.com/x"}),
                400,
                "invalid_field",
                "url",
            ),
            (
                json!({"newsletter_id": ws, "url": "not a url"}),
                400,
                "invalid_field",
                "url",
            ),
            (
                json!({"newsletter_id": ws, "url": "http://u:p@example.com/"}),
                400,
                "invalid_field",
                "url",
            ),
            (
                json!({"newsletter_id": ws, "url": "http://127.0.0.1:9/", "events": []}),
                400,
                "invalid_field",
                "events",
            ),
            (
                json!({"newsletter_id": ws, "url": "http://127.0.0.1:9/", "events": ["contact.eaten"]}),
                400,
                "invalid_field",
                "events",
            ),
            (
                json!({"newsletter_id": ws, "url": "http://127.0.0.1:9/", "description": 7}),
                400,
                "invalid_field",
                "description",
            ),
        ] {
            let reply = send(app.req(Method::POST, "/v1/webhooks").json(&body)).await;
            reply.expect_error(status, code);
            assert_eq!(reply.json["field"], field, "{body}");
        }
        let created = app.create_webhook("http://127.0.0.1:9/", json!({})).await;
        let id = created["id"].as_str().expect("id");
        for body in [
            json!({"enabled": "yes"}),
            json!({"url": "gopher://x/"}),
            json!({"events": "all"}),
        ] {
            send(
                app.req(Method::PATCH, &format!("/v1/webhooks/{id}"))
                    .json(&body),
            )
            .await
            .expect_error(400, "invalid_field");
        }
        for body in [
            json!({}),
            json!({"after": -1}),
            json!({"after": "x"}),
            json!({"after": 1, "event_id": 1}),
        ] {
            let reply = send(
                app.req(Method::POST, &format!("/v1/webhooks/{id}/replay"))
                    .json(&body),
            )
            .await;
            assert_eq!(reply.status, 400, "{body}: {}", reply.text);
        }
        send(
            app.req(Method::POST, &format!("/v1/webhooks/{id}/replay"))
                .json(&json!({"event_id": "999999"})),
        )
        .await
        .expect_error(404, "event_not_found");
        send(app.req(
            Method::GET,
            &format!("/v1/webhooks/{id}/deliveries?limit=0"),
        ))
        .await
        .expect_error(400, "invalid_parameter");
        send(app.req(Method::GET, "/v1/webhooks/whk_nope"))
            .await
            .expect_error(404, "webhook_not_found");
    }
);

backend_test!(
    read_keys_list_and_other_workspaces_see_nothing,
    config = allowing_private(),
    |app| async move {
        let created = app.create_webhook("http://127.0.0.1:9/", json!({})).await;
        let id = created["id"].as_str().expect("id");
        let reader = app.key(grant_of(&[&app.workspace]), true).await;
        send(app.req_as(&reader.secret, Method::GET, "/v1/webhooks"))
            .await
            .expect_status(200);
        send(app.req_as(
            &reader.secret,
            Method::GET,
            &format!("/v1/webhooks/{id}/deliveries"),
        ))
        .await
        .expect_status(200);
        let body = json!({"url": "http://127.0.0.1:9/"});
        send(
            app.req_as(&reader.secret, Method::POST, "/v1/webhooks")
                .json(&body),
        )
        .await
        .expect_error(403, "forbidden");
        send(app.req_as(
            &reader.secret,
            Method::POST,
            &format!("/v1/webhooks/{id}/test"),
        ))
        .await
        .expect_error(403, "forbidden");

        let other = app.create_workspace().await;
        let outsider = app.key_for(&[&other]).await;
        for (method, path) in [
            (Method::GET, format!("/v1/webhooks/{id}")),
            (Method::PATCH, format!("/v1/webhooks/{id}")),
            (Method::DELETE, format!("/v1/webhooks/{id}")),
            (Method::POST, format!("/v1/webhooks/{id}/rotate-secret")),
            (Method::GET, format!("/v1/webhooks/{id}/deliveries")),
        ] {
            send(app.req_as(&outsider.secret, method, &path).json(&json!({})))
                .await
                .expect_error(404, "webhook_not_found");
        }
        let listed = send(app.req_as(&outsider.secret, Method::GET, "/v1/webhooks")).await;
        assert_eq!(listed.json["data"], json!([]));
        send(app.req_as(
            &outsider.secret,
            Method::GET,
            &format!("/v1/webhooks?newsletter_id={}", app.workspace),
        ))
        .await
        .expect_error(403, "forbidden");
        send(app.anonymous(Method::GET, "/v1/webhooks"))
            .await
            .expect_error(401, "unauthorized");
    }
);

backend_test!(private_and_metadata_targets_are_refused, |app| async move {
    for url in [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.0.0.5/",
        "http://172.16.3.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://[::1]/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://0.0.0.0/",
        "http://2130706433/",
    ] {
        let body = json!({"newsletter_id": app.workspace, "url": url});
        let reply = send(app.req(Method::POST, "/v1/webhooks").json(&body)).await;
        reply.expect_error(400, "invalid_field");
        assert_eq!(reply.json["field"], "url", "{url}");
    }
    let listed = send(app.req(
        Method::GET,
        &format!("/v1/webhooks?newsletter_id={}", app.workspace),
    ))
    .await;
    assert_eq!(listed.json["data"], json!([]), "nothing was created");
});
