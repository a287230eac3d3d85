//! Dashboard writes keep the client's evidence in their events as API writes do
//! (docs/consent.md#evidence): the source `dashboard`, the client's address (from
//! `X-Forwarded-For` only behind a trusted proxy) and its user agent.

use crate::dashboard_browser::Browser;
use crate::events::all_events;
use crate::helpers::*;
use purrlist::domain::evidence_proxies::TrustedProxies;
use serde_json::{Value, json};

fn behind_local_proxy() -> purrlist::config::Config {
    let mut config = TestApp::config();
    config.trusted_proxies = TrustedProxies::parse(["127.0.0.1", "::1"]).expect("proxies");
    config
}

/// Unsubscribes a new contact through the dashboard with these headers; its last event.
async fn unsubscribe_in_dashboard(app: &TestApp, headers: &[(&str, &str)]) -> Value {
    let contact = app.new_contact(json!({"email": "e@example.com"})).await;
    let browser = Browser::signed_in(app, &app.api_key).await;
    let path = format!(
        "/admin/w/{}/contacts/{}/unsubscribe",
        app.workspace,
        id_of(&contact)
    );
    let done = browser
        .post_with(&path, &[("csrf", browser.csrf.as_str())], headers)
        .await;
    assert_eq!(done.status, 303, "{}", done.text);
    let event = all_events(app, Some(id_of(&contact)))
        .await
        .pop()
        .expect("event");
    assert_eq!(event["type"], "unsubscribed");
    event
}

backend_test!(
    a_dashboard_write_keeps_the_clients_address_and_user_agent,
    |app| async move {
        let event = unsubscribe_in_dashboard(
            &app,
            &[
                ("user-agent", "Mozilla/5.0 (operator)"),
                ("x-forwarded-for", "203.0.113.9"),
            ],
        )
        .await;
        assert_eq!(event["source"], "dashboard");
        assert_eq!(event["evidence"]["source"], "dashboard");
        assert_eq!(event["evidence"]["user_agent"], "Mozilla/5.0 (operator)");
        assert_eq!(
            event["evidence"]["ip"], "127.0.0.1",
            "X-Forwarded-For from an untrusted peer is ignored"
        );
        assert!(event["evidence"]["request_id"].is_string(), "{event}");
    }
);

backend_test!(
    behind_a_trusted_proxy_a_dashboard_write_keeps_the_forwarded_client,
    config = behind_local_proxy(),
    |app| async move {
        let event =
            unsubscribe_in_dashboard(&app, &[("x-forwarded-for", "198.51.100.66, 203.0.113.9")])
                .await;
        assert_eq!(event["evidence"]["ip"], "203.0.113.9");
        assert_eq!(event["evidence"]["user_agent"], Value::Null);
    }
);
