//! Delivery through the real server and a real receiver on loopback: signed bodies in feed
//! order under concurrent writers, retries through an outage, a spent schedule disabling
//! the endpoint and enabling it resuming, rotation, replay, the test message, and the
//! address check at delivery time (api.md §6).

use crate::helpers::*;
use crate::webhook_receiver::{Receiver, feed_arrives_in_order};
use crate::webhooks_api::allowing_private;
use purrlist::config::Config;
use purrlist::domain::webhooks::RetrySchedule;
use reqwest::Method;
use serde_json::{Value, json};

/// Allowing private targets, with the retry schedule `schedule`.
pub fn quick_retries(schedule: &str) -> Config {
    let mut config = allowing_private();
    config.webhooks.schedule = RetrySchedule::parse(schedule).expect("schedule");
    config
}

backend_test!(
    events_arrive_signed_in_feed_order_under_concurrent_writers,
    config = allowing_private(),
    |app| async move {
        let receiver = Receiver::start().await;
        let hook = app.create_webhook(&receiver.url("/all"), json!({})).await;
        let secret = hook["secret"].as_str().expect("secret").to_owned();
        let writers = (0..4).map(|w| {
            let (client, url, key, ws) = (app.client.clone(), app.address.clone(), app.api_key.clone(), app.workspace.clone());
            tokio::spawn(async move {
                for i in 0..15 {
                    let body = json!({"newsletter_id": ws, "contacts": [{"email": format!("w{w}-{}@x.example", i % 5), "name": format!("{i}"), "subscribed": i % 3 != 0}]});
                    let status = client.post(format!("{url}/v1/contacts")).bearer_auth(&key).json(&body).send().await.expect("send").status();
                    assert_eq!(status, 200);
                }
            })
        });
        for w in writers.collect::<Vec<_>>() {
            w.await.expect("writer");
        }
        let (feed, got) = feed_arrives_in_order(&app, &receiver).await;
        assert!(feed.len() >= 20, "{}", feed.len());
        for r in &got {
            assert!(r.signed_by(&secret), "signature of {}", r.id);
            let body = r.json();
            assert_eq!(body["data"]["event_id"], r.id.as_str());
            assert_eq!(body["data"]["newsletter_id"], app.workspace.as_str());
            assert!(body["type"].as_str().expect("type").starts_with("contact."));
            assert!(
                body["data"]["contact"]["email"]
                    .as_str()
                    .expect("email")
                    .ends_with("@x.example")
            );
            assert!(body["data"]["actor"]["type"] == "api_key");
            // The event's evidence rides along (docs/consent.md#evidence).
            assert_eq!(body["data"]["source"], "bulk");
            assert_eq!(body["data"]["evidence"]["ip"], "127.0.0.1");
            let age = purrlist::domain::timestamp::Timestamp::now().millis() / 1000
                - r.timestamp.parse::<i64>().expect("timestamp");
            assert!((0..300).contains(&age), "timestamp {}", r.timestamp);
        }
        // The contact in a message is its state right after that change, not the newest.
        let first_created = got
            .iter()
            .find(|r| r.json()["type"] == "contact.created")
            .expect("a creation")
            .json();
        let changes = &first_created["data"]["changes"];
        assert_eq!(
            first_created["data"]["contact"]["name"],
            changes["name"]["new"]
        );
    }
);

backend_test!(
    an_outage_is_retried_then_delivery_resumes_in_order,
    config = quick_retries(
        "0s,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms,200ms"
    ),
    |app| async move {
        let receiver = Receiver::start().await;
        receiver.answer(503);
        let hook = app.create_webhook(&receiver.url("/down"), json!({})).await;
        let id = hook["id"].as_str().expect("id");
        for i in 0..3 {
            app.upsert(json!([{"email": format!("o{i}@x.example")}]))
                .await;
        }
        receiver
            .wait_until("three refused attempts", |got| got.len() >= 3)
            .await;
        let state = send(app.req(Method::GET, &format!("/v1/webhooks/{id}"))).await;
        assert_eq!(state.json["state"], "failing", "{}", state.text);
        receiver.answer(200);
        let (feed, got) = feed_arrives_in_order(&app, &receiver).await;
        assert!(
            got.iter()
                .take_while(|r| r.answered == 503)
                .all(|r| r.id == feed[0]),
            "nothing after the first event was sent before it was accepted"
        );
        // A page's attempts are written while the next page is sent: the log may trail the
        // receiver by a moment.
        let entries = logged_once_accepted(&app, id).await;
        assert!(
            entries
                .iter()
                .any(|d| d["status_code"] == 503 && d["attempt"].as_u64() > Some(1))
        );
        let state = send(app.req(Method::GET, &format!("/v1/webhooks/{id}"))).await;
        assert_eq!(state.json["state"], "active");
    }
);

/// The deliveries log of endpoint `id` once it shows an accepted attempt (60 s at most).
async fn logged_once_accepted(app: &TestApp, id: &str) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let log = send(app.req(Method::GET, &format!("/v1/webhooks/{id}/deliveries"))).await;
        let entries = log.json["data"].as_array().expect("data").clone();
        if entries.iter().any(|d| d["status_code"] == 200) {
            return entries;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no accepted attempt logged in 60 s: {}",
            log.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

backend_test!(
    a_spent_schedule_disables_and_enabling_resumes_from_the_first_unaccepted,
    config = quick_retries("0s,100ms,100ms"),
    |app| async move {
        let receiver = Receiver::start().await;
        receiver.answer(500);
        let hook = app.create_webhook(&receiver.url("/flaky"), json!({})).await;
        let id = hook["id"].as_str().expect("id");
        app.upsert(json!([{"email": "d1@x.example"}])).await;
        app.upsert(json!([{"email": "d2@x.example"}])).await;
        receiver
            .wait_until("three attempts", |got| got.len() >= 3)
            .await;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let state = send(app.req(Method::GET, &format!("/v1/webhooks/{id}"))).await;
            if state.json["enabled"] == false {
                assert_eq!(state.json["state"], "failing");
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never disabled: {}",
                state.text
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(
            receiver.all().len(),
            3,
            "no attempt after the schedule was spent"
        );
        receiver.answer(200);
        app.upsert(json!([{"email": "d3@x.example"}])).await;
        let enabled = send(
            app.req(Method::PATCH, &format!("/v1/webhooks/{id}"))
                .json(&json!({"enabled": true})),
        )
        .await;
        assert_eq!(enabled.json["state"], "active");
        let (feed, _) = feed_arrives_in_order(&app, &receiver).await;
        assert_eq!(feed.len(), 3);
    }
);

backend_test!(
    rotation_signs_with_both_secrets_and_replay_and_test_arrive,
    config = allowing_private(),
    |app| async move {
        let receiver = Receiver::start().await;
        let hook = app
            .create_webhook(&receiver.url("/r"), json!({"events": ["contact.created"]}))
            .await;
        let id = hook["id"].as_str().expect("id");
        let old = hook["secret"].as_str().expect("secret").to_owned();
        let rotated =
            send(app.req(Method::POST, &format!("/v1/webhooks/{id}/rotate-secret"))).await;
        let new = rotated.json["secret"].as_str().expect("secret").to_owned();
        let contact = app.new_contact(json!({"email": "r@x.example"})).await;
        app.put_contact(
            id_of(&contact),
            &json!({"email": "r@x.example", "name": "not sent"}),
        )
        .await
        .expect_status(200);
        let got = receiver
            .wait_until("the creation", |got| !got.is_empty())
            .await;
        assert!(
            got[0].signed_by(&old) && got[0].signed_by(&new),
            "{}",
            got[0].signature
        );
        assert_eq!(got[0].signature.split(' ').count(), 2);
        assert_eq!(got[0].json()["type"], "contact.created");

        let event = got[0].id.clone();
        let replay = send(
            app.req(Method::POST, &format!("/v1/webhooks/{id}/replay"))
                .json(&json!({"event_id": event})),
        )
        .await;
        replay.expect_status(202);
        let test = send(app.req(Method::POST, &format!("/v1/webhooks/{id}/test"))).await;
        test.expect_status(202);
        let test_id = test.json["message_id"]
            .as_str()
            .expect("message id")
            .to_owned();
        let got = receiver
            .wait_until("replay and test", |got| got.len() >= 3)
            .await;
        assert!(
            got[1..].iter().any(|r| r.id == event && r.signed_by(&new)),
            "the replay has the event's webhook-id"
        );
        let test_message = got
            .iter()
            .find(|r| r.id == test_id)
            .expect("the test message");
        assert_eq!(test_message.json()["type"], "webhook.test");
        let after = send(
            app.req(Method::POST, &format!("/v1/webhooks/{id}/replay"))
                .json(&json!({"after": "0"})),
        )
        .await;
        after.expect_status(202);
        receiver
            .wait_until("the replay from the start", |got| {
                got.iter().filter(|r| r.id == event).count() >= 3
            })
            .await;
        assert!(
            receiver
                .all()
                .iter()
                .all(|r| r.json()["type"] != "contact.updated"),
            "types it did not ask for never arrive"
        );
    }
);

backend_test!(
    private_addresses_are_refused_again_at_delivery,
    |app| async move {
        // Written behind the API (as a DNS change would, after creation): the server refuses to send.
        let receiver = Receiver::start().await;
        let endpoint = purrlist::domain::webhooks::WebhookEndpoint {
            id: purrlist::domain::ids::WebhookId::generate(),
            workspace_id: purrlist::domain::ids::WorkspaceId::parse(&app.workspace).expect("id"),
            url: receiver.url("/private"),
            event_types: None,
            description: String::new(),
            enabled: true,
            state: purrlist::domain::webhooks::EndpointState::Active,
            secret: purrlist::domain::webhooks::WebhookSecret::generate(),
            previous_secret: None,
            created_at: purrlist::domain::timestamp::Timestamp::now(),
            updated_at: purrlist::domain::timestamp::Timestamp::now(),
            cursor: 0,
            attempt: 0,
            next_attempt_at: purrlist::domain::timestamp::Timestamp::from_millis(0),
        };
        let stored = app.store.create_webhook(endpoint).await.expect("store");
        app.upsert(json!([{"email": "p@x.example"}])).await;
        let path = format!("/v1/webhooks/{}/deliveries", stored.id);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        let entry: Value = loop {
            let log = send(app.req(Method::GET, &path)).await;
            if let Some(first) = log.json["data"].as_array().and_then(|d| d.first()) {
                break first.clone();
            }
            assert!(tokio::time::Instant::now() < deadline, "no attempt logged");
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        assert_eq!(entry["status_code"], Value::Null);
        assert!(
            entry["error"].as_str().expect("error").contains("loopback"),
            "{entry}"
        );
        assert!(
            receiver.all().is_empty(),
            "nothing reached the loopback receiver"
        );
    }
);
