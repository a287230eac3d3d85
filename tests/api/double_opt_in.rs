//! Double opt-in (api.md §8, docs/consent.md): `"confirm": true` on PUT and bulk, the
//! link in the feed, the GET-safe page at `/c/{token}`, its POST, asking again, expiry.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// An HTML answer.
pub struct Page {
    pub status: u16,
    pub text: String,
    pub content_type: String,
}

async fn fetch(request: reqwest::RequestBuilder) -> Page {
    let response = request.send().await.expect("request reaches the server");
    Page {
        status: response.status().as_u16(),
        content_type: response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned(),
        text: response.text().await.expect("read body"),
    }
}

/// The events of the test workspace, oldest first.
pub async fn feed(app: &TestApp) -> Vec<Value> {
    let reply = send(app.req(
        Method::GET,
        &format!("/v1/events?newsletter_id={}&limit=1000", app.workspace),
    ))
    .await;
    reply.expect_status(200);
    reply.json["data"].as_array().cloned().unwrap_or_default()
}

/// The events of one type.
pub async fn events_of(app: &TestApp, kind: &str) -> Vec<Value> {
    feed(app)
        .await
        .into_iter()
        .filter(|e| e["type"] == kind)
        .collect()
}

/// The token of the newest confirmation link of a contact, from the feed.
pub async fn link_of(app: &TestApp, contact_id: &str) -> String {
    let requested = events_of(app, "confirmation_requested").await;
    let event = requested
        .iter()
        .rev()
        .find(|e| e["contact_id"] == contact_id)
        .expect("a confirmation_requested event");
    let url = event["confirmation"]["url"].as_str().expect("url");
    url.rsplit('/').next().expect("token").to_owned()
}

pub async fn open_link(app: &TestApp, token: &str) -> Page {
    fetch(app.anonymous(Method::GET, &format!("/c/{token}"))).await
}

pub async fn press_confirm(app: &TestApp, token: &str) -> Page {
    fetch(
        app.anonymous(Method::POST, &format!("/c/{token}"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("user-agent", "purrlist-test-browser")
            .body(""),
    )
    .await
}

async fn subscribed(app: &TestApp, id: &str) -> bool {
    let reply = app.get_contact(id).await;
    reply.expect_status(200);
    reply.json["subscribed"].as_bool().expect("subscribed")
}

backend_test!(
    bulk_with_confirm_creates_unsubscribed_and_the_link_confirms,
    |app| async move {
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "new@example.com", "subscribed": true, "confirm": true}
            ]}))
            .await;
        reply.expect_status(200);
        assert_eq!(reply.json["synced"], 1, "Notocat's field is kept");
        assert_eq!(reply.json["results"][0]["confirmation"], "requested");
        let id = reply.json["results"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        assert!(!subscribed(&app, &id).await, "waits for the person");

        let requested = events_of(&app, "confirmation_requested").await;
        assert_eq!(requested.len(), 1);
        let details = &requested[0]["confirmation"];
        let url = details["url"].as_str().expect("url");
        assert!(url.starts_with(&format!("{}/c/", app.address)), "{url}");
        assert_eq!(details["source"], "bulk");
        assert!(details["expires_at"].is_string());
        assert_eq!(requested[0]["changes"], json!({}));

        let token = link_of(&app, &id).await;
        let before = app.snapshot().await;
        let page = open_link(&app, &token).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.content_type, "text/html; charset=utf-8");
        assert!(page.text.contains("Test newsletter"), "{}", page.text);
        assert!(page.text.contains(">Confirm subscription</button>"));
        assert!(!page.text.contains("<script"));
        assert_eq!(app.snapshot().await, before, "GET changes nothing");
        let head = fetch(app.anonymous(Method::HEAD, &format!("/c/{token}"))).await;
        assert_eq!(head.status, 200);
        assert_eq!(app.snapshot().await, before, "HEAD changes nothing");

        let done = press_confirm(&app, &token).await;
        assert_eq!(done.status, 200);
        assert!(
            done.text.contains("You are subscribed to Test newsletter"),
            "{}",
            done.text
        );
        assert!(subscribed(&app, &id).await);
        let confirmed = events_of(&app, "confirmed").await;
        assert_eq!(confirmed.len(), 1);
        assert_eq!(
            confirmed[0]["changes"],
            json!({"subscribed": {"old": false, "new": true}})
        );
        assert_eq!(confirmed[0]["actor"]["type"], "confirmation_link");
        assert_eq!(
            confirmed[0]["confirmation"]["user_agent"],
            "purrlist-test-browser"
        );
        assert!(confirmed[0]["confirmation"]["ip"].is_string());

        // Used up: the same page as for a token that never existed.
        let again = press_confirm(&app, &token).await;
        assert_eq!(again.status, 404);
        let never = open_link(&app, "AAAAAAAAAAAAAAAAAAAAA").await;
        assert_eq!(never.status, 404);
        assert_eq!(again.text, never.text);
        assert_eq!(open_link(&app, "not-a-token").await.text, never.text);
    }
);

backend_test!(
    put_with_confirm_keeps_an_unsubscribed_contact_waiting,
    |app| async move {
        let c = app
            .new_contact(json!({"email": "put@example.com", "subscribed": false}))
            .await;
        let id = id_of(&c).to_owned();
        let reply = app
            .put_contact(
                &id,
                &json!({"email": "put@example.com", "subscribed": true, "first_name": "P", "confirm": true}),
            )
            .await;
        reply.expect_status(200);
        assert_eq!(
            reply.json["subscribed"], false,
            "`subscribed` waits for the link"
        );
        assert_eq!(reply.json["first_name"], "P", "other fields are written");
        assert!(
            reply.json.get("confirm").is_none(),
            "the contact's shape is unchanged"
        );
        let requested = events_of(&app, "confirmation_requested").await;
        assert_eq!(requested.len(), 1);
        assert_eq!(requested[0]["confirmation"]["source"], "api");
        assert_eq!(requested[0]["actor"]["type"], "api_key");

        let bad = app
            .put_contact(&id, &json!({"email": "put@example.com", "confirm": "yes"}))
            .await;
        bad.expect_error(400, "invalid_field");
        assert_eq!(bad.json["field"], "confirm");
    }
);

async fn ask_again(app: &TestApp) -> String {
    let reply = app
        .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
            {"email": "again@example.com", "confirm": true}
        ]}))
        .await;
    reply.expect_status(200);
    reply.json["results"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

backend_test!(
    asking_again_is_never_a_conflict_and_keeps_the_link_working,
    |app| async move {
        let id = ask_again(&app).await;
        let first = link_of(&app, &id).await;
        let same = ask_again(&app).await;
        assert_eq!(same, id);
        let second = link_of(&app, &id).await;
        assert_eq!(first, second, "the link already mailed keeps working");
        assert_eq!(events_of(&app, "confirmation_requested").await.len(), 2);
        assert_eq!(press_confirm(&app, &first).await.status, 200);
        assert!(subscribed(&app, &id).await);

        // Subscribed now: asking again changes nothing and asks nothing.
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "again@example.com", "confirm": true}
            ]}))
            .await;
        reply.expect_status(200);
        assert_eq!(
            reply.json["results"][0]["confirmation"],
            "already_subscribed"
        );
        assert_eq!(reply.json["results"][0]["status"], "unchanged");
        assert!(
            subscribed(&app, &id).await,
            "a subscribed contact stays subscribed"
        );
        assert_eq!(events_of(&app, "confirmation_requested").await.len(), 2);
    }
);

backend_test!(
    without_confirm_nothing_changes_in_the_answer,
    |app| async move {
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "plain@example.com"}
            ]}))
            .await;
        reply.expect_status(200);
        assert!(reply.json["results"][0].get("confirmation").is_none());
        assert_eq!(events_of(&app, "confirmation_requested").await.len(), 0);
    }
);

fn short_ttl() -> purrlist::config::Config {
    purrlist::config::Config {
        confirmation_ttl: Duration::from_millis(300),
        ..TestApp::config()
    }
}

backend_test!(
    unconfirmed_requests_expire_into_the_feed,
    config = short_ttl(),
    |app| async move {
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "late@example.com", "confirm": true}
            ]}))
            .await;
        reply.expect_status(200);
        let id = reply.json["results"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let token = link_of(&app, &id).await;
        // Wait on the feed, not a fixed sleep: the expiry task runs every 75 ms here.
        let mut expired = Vec::new();
        for _ in 0..200 {
            expired = events_of(&app, "confirmation_expired").await;
            if !expired.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(expired.len(), 1, "one expiry event");
        assert_eq!(expired[0]["contact_id"], id.as_str());
        assert_eq!(expired[0]["actor"]["type"], "expiry");
        assert!(expired[0]["confirmation"]["expires_at"].is_string());
        let page = open_link(&app, &token).await;
        assert_eq!(page.status, 404, "an expired link is the unknown-link page");
        assert_eq!(press_confirm(&app, &token).await.status, 404);
        assert!(!subscribed(&app, &id).await);

        // Asking again after expiry gives a new link that works.
        app.bulk(&json!({"newsletter_id": app.workspace, "contacts": [
            {"email": "late@example.com", "confirm": true}
        ]}))
        .await
        .expect_status(200);
        let fresh = link_of(&app, &id).await;
        assert_ne!(fresh, token);
    }
);

backend_test!(
    a_confirmation_link_does_not_subscribe_a_suppressed_address,
    |app| async move {
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "bounced@example.com", "confirm": true}
            ]}))
            .await;
        reply.expect_status(200);
        let id = reply.json["results"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let token = link_of(&app, &id).await;
        // The sender's first mail bounces before the person clicks.
        send(app.req(Method::POST, "/v1/suppressions").json(&json!({
            "newsletter_id": app.workspace, "email": "bounced@example.com", "reason": "bounced"
        })))
        .await
        .expect_status(200);
        let before = app.snapshot().await;
        let page = press_confirm(&app, &token).await;
        assert_eq!(page.status, 404, "{}", page.text);
        assert!(!subscribed(&app, &id).await);
        assert_eq!(app.snapshot().await, before, "nothing written");
        assert!(events_of(&app, "confirmed").await.is_empty());
    }
);
