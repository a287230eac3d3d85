//! Bounces and complaints from the sending service (api.md §8): the inbound secret, then
//! Postmark's webhooks and Amazon SES notifications through SNS, with the fixtures of
//! tests/fixtures/inbound/ (their SOURCE.md files say where each shape comes from).

use crate::events::all_events;
use crate::helpers::*;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use purrlist::domain::api_key::WorkspaceGrant;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/inbound");

fn fixture(path: &str) -> Value {
    let text = std::fs::read_to_string(format!("{FIXTURES}/{path}")).expect("fixture");
    serde_json::from_str(&text).expect("fixture JSON")
}

/// A test server whose SNS URLs may be local (`sns_any_host_for_tests`).
fn with_local_sns() -> purrlist::config::Config {
    let mut config = TestApp::config();
    config.inbound.sns_any_host_for_tests = true;
    config
}

/// The inbound URLs of a new secret for the test workspace: (postmark, ses).
async fn inbound_urls(app: &TestApp) -> (String, String) {
    let reply = send(
        app.req(Method::POST, "/v1/inbound-secrets")
            .json(&json!({"newsletter_id": app.workspace})),
    )
    .await;
    reply.expect_status(201);
    let url = |k: &str| reply.json[k].as_str().expect("url").to_owned();
    (url("postmark_url"), url("ses_url"))
}

async fn post_json(app: &TestApp, url: &str, body: &Value, content_type: &str) -> Reply {
    send(
        app.client
            .post(url)
            .header("content-type", content_type)
            .body(body.to_string()),
    )
    .await
}

async fn subscribed(app: &TestApp, id: &str) -> bool {
    app.get_contact(id).await.json["subscribed"]
        .as_bool()
        .expect("subscribed")
}

backend_test!(
    an_inbound_secret_is_shown_once_and_needs_a_write_key,
    |app| async move {
        let (postmark, ses) = inbound_urls(&app).await;
        let prefix = format!("{}/inbound/postmark/{}/", app.address, app.workspace);
        assert!(postmark.starts_with(&prefix), "{postmark}");
        assert_eq!(postmark.len(), prefix.len() + 32);
        assert!(ses.contains("/inbound/ses/"));
        let read_only = app.key(WorkspaceGrant::All, true).await;
        send(
            app.req_as(&read_only.secret, Method::POST, "/v1/inbound-secrets")
                .json(&json!({"newsletter_id": app.workspace})),
        )
        .await
        .expect_error(403, "forbidden");
        // A new secret replaces the old: the first URL stops working.
        let (second, _) = inbound_urls(&app).await;
        assert_ne!(second, postmark);
        let body = fixture("postmark/bounce-hard.json");
        post_json(&app, &postmark, &body, "application/json")
            .await
            .expect_error(404, "not_found");
        post_json(&app, &second, &body, "application/json")
            .await
            .expect_status(200);
    }
);

backend_test!(
    a_wrong_secret_or_workspace_is_404_and_changes_nothing,
    |app| async move {
        let john = app.new_contact(json!({"email": "john@example.com"})).await;
        let body = fixture("postmark/bounce-hard.json");
        let before = all_events(&app, None).await.len();
        // No secret made yet.
        let path = format!(
            "{}/inbound/postmark/{}/{}",
            app.address,
            app.workspace,
            "x".repeat(32)
        );
        post_json(&app, &path, &body, "application/json")
            .await
            .expect_error(404, "not_found");
        let (postmark, _) = inbound_urls(&app).await;
        let flipped = if postmark.ends_with('A') { 'B' } else { 'A' };
        let wrong = format!("{}{flipped}", &postmark[..postmark.len() - 1]);
        post_json(&app, &wrong, &body, "application/json")
            .await
            .expect_error(404, "not_found");
        let other = app.create_workspace().await;
        let elsewhere = postmark.replace(&app.workspace, &other);
        post_json(&app, &elsewhere, &body, "application/json")
            .await
            .expect_error(404, "not_found");
        let malformed = postmark.replace(&app.workspace, "wks_nope");
        post_json(&app, &malformed, &body, "application/json")
            .await
            .expect_error(404, "not_found");
        assert!(subscribed(&app, id_of(&john)).await);
        assert_eq!(all_events(&app, None).await.len(), before);
    }
);

backend_test!(
    postmark_hard_bounces_and_complaints_unsubscribe_soft_bounces_are_recorded,
    |app| async move {
        let john = app.new_contact(json!({"email": "John@Example.com"})).await;
        let id = id_of(&john).to_owned();
        let (postmark, _) = inbound_urls(&app).await;

        let soft = post_json(
            &app,
            &postmark,
            &fixture("postmark/bounce-soft.json"),
            "application/json",
        )
        .await;
        soft.expect_status(200);
        assert_eq!(soft.json["results"], json!(["recorded"]));
        assert!(subscribed(&app, &id).await);
        let event = all_events(&app, Some(&id)).await.pop().expect("event");
        assert_eq!(event["type"], "reported");
        assert_eq!(event["changes"], json!({}));
        assert_eq!(event["actor"], json!({"type": "inbound"}));
        assert_eq!(event["source"], "postmark");
        assert_eq!(event["evidence"]["provider"]["report"], "soft_bounce");
        assert_eq!(event["evidence"]["provider"]["Type"], "SoftBounce");

        let hard = post_json(
            &app,
            &postmark,
            &fixture("postmark/bounce-hard.json"),
            "application/json",
        )
        .await;
        assert_eq!(hard.json["results"], json!(["suppressed"]));
        assert!(!subscribed(&app, &id).await);
        let event = all_events(&app, Some(&id)).await.pop().expect("event");
        assert_eq!(event["type"], "suppressed");
        assert_eq!(consent_reason(&app, &id).await, "bounced");
        assert_eq!(event["source"], "postmark");
        assert_eq!(event["evidence"]["provider"]["report"], "hard_bounce");
        assert_eq!(
            event["evidence"]["provider"]["MessageID"],
            "883953f4-6105-42a2-a16a-77a8eac79483"
        );
        assert!(
            event["evidence"]["provider"].get("Content").is_none(),
            "no message dump kept"
        );

        // A bounced address cannot be re-subscribed without the override.
        app.put_contact(
            &id,
            &json!({"email": "john@example.com", "subscribed": true}),
        )
        .await
        .expect_error(409, "suppressed");

        // A complaint replaces the bounce as the reason; the same complaint again changes
        // nothing and is recorded.
        let complaint = post_json(
            &app,
            &postmark,
            &fixture("postmark/spam-complaint.json"),
            "application/json",
        )
        .await;
        assert_eq!(complaint.json["results"], json!(["suppressed"]));
        assert_eq!(consent_reason(&app, &id).await, "complained");
        let again = post_json(
            &app,
            &postmark,
            &fixture("postmark/spam-complaint.json"),
            "application/json",
        )
        .await;
        assert_eq!(again.json["results"], json!(["recorded"]));
        let event = all_events(&app, Some(&id)).await.pop().expect("event");
        assert_eq!(event["type"], "reported");
        assert_eq!(event["evidence"]["provider"]["report"], "complaint");

        // With the override the person is subscribed again, and a new complaint
        // suppresses them again.
        app.put_contact(
            &id,
            &json!({"email": "john@example.com", "subscribed": true, "override_suppression": true}),
        )
        .await
        .expect_status(200);
        let later = post_json(
            &app,
            &postmark,
            &fixture("postmark/spam-complaint.json"),
            "application/json",
        )
        .await;
        assert_eq!(later.json["results"], json!(["suppressed"]));
        assert!(!subscribed(&app, &id).await);
    }
);

backend_test!(
    postmark_reports_on_unknown_addresses_or_other_records_change_nothing,
    |app| async move {
        app.new_contact(json!({"email": "someone@example.com"}))
            .await;
        let (postmark, _) = inbound_urls(&app).await;
        let before = all_events(&app, None).await.len();
        let unknown = post_json(
            &app,
            &postmark,
            &fixture("postmark/bounce-hard.json"),
            "application/json",
        )
        .await;
        unknown.expect_status(200);
        assert_eq!(unknown.json["results"], json!(["unknown_address"]));
        let delivery = json!({"RecordType": "Delivery", "Recipient": "someone@example.com"});
        let ignored = post_json(&app, &postmark, &delivery, "application/json").await;
        assert_eq!(ignored.json["status"], "ignored");
        let broken = json!({"RecordType": "Bounce", "Type": "HardBounce"});
        post_json(&app, &postmark, &broken, "application/json")
            .await
            .expect_error(400, "invalid_field");
        send(
            app.client
                .post(&postmark)
                .header("content-type", "application/json")
                .body("{"),
        )
        .await
        .expect_error(400, "invalid_json");
        assert_eq!(all_events(&app, None).await.len(), before);
        assert!(app.list_all().await.iter().all(|c| c["subscribed"] == true));
    }
);

/// A stand-in for Amazon SNS on loopback: serves the test signing certificate and records
/// every request (a subscription confirmation is a GET of its SubscribeURL).
struct FakeSns {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeSns {
    async fn start() -> FakeSns {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let requests: Arc<Mutex<Vec<String>>> = Arc::default();
        let seen = requests.clone();
        let cert =
            std::fs::read_to_string(format!("{FIXTURES}/ses/test-signing-cert.pem")).expect("cert");
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri| {
            let seen = seen.clone();
            let cert = cert.clone();
            async move {
                seen.lock().expect("lock").push(uri.to_string());
                if uri.path() == "/cert.pem" {
                    cert
                } else {
                    "<ConfirmSubscriptionResponse/>".to_owned()
                }
            }
        });
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeSns { base, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().expect("lock").clone()
    }
}

/// A committed SNS fixture with its certificate URL pointed at `sns` (that field is not signed).
fn ses_fixture(name: &str, sns: &FakeSns) -> Value {
    let mut body = fixture(&format!("ses/{name}"));
    body["SigningCertURL"] = json!(format!("{}/cert.pem", sns.base));
    body
}

/// Signs an SNS message with the test key, SignatureVersion 2 (SHA256withRSA).
fn sign_v2(message: &mut Value) {
    let pem = std::fs::read_to_string(format!("{FIXTURES}/ses/test-signing-key.pem")).expect("key");
    let base64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = STANDARD.decode(base64).expect("pkcs8");
    let key = ring::signature::RsaKeyPair::from_pkcs8(&der).expect("RSA key");
    let field = |n: &str| {
        message[n]
            .as_str()
            .map(|v| format!("{n}\n{v}\n"))
            .unwrap_or_default()
    };
    let to_sign: String = [
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ]
    .iter()
    .map(|n| field(n))
    .collect();
    let mut signature = vec![0; key.public().modulus_len()];
    key.sign(
        &ring::signature::RSA_PKCS1_SHA256,
        &ring::rand::SystemRandom::new(),
        to_sign.as_bytes(),
        &mut signature,
    )
    .expect("sign");
    message["SignatureVersion"] = json!("2");
    message["Signature"] = json!(STANDARD.encode(signature));
}

backend_test!(
    ses_notifications_are_checked_then_applied,
    config = with_local_sns(),
    |app| async move {
        let sns = FakeSns::start().await;
        let jane = app.new_contact(json!({"email": "jane@example.com"})).await;
        let mary = app.new_contact(json!({"email": "mary@example.com"})).await;
        let richard = app
            .new_contact(json!({"email": "richard@example.com"}))
            .await;
        let (_, ses) = inbound_urls(&app).await;

        // SignatureVersion 1 (SHA1withRSA), sent as SNS sends it: text/plain.
        let permanent = ses_fixture("notification-bounce-permanent.json", &sns);
        let reply = post_json(&app, &ses, &permanent, "text/plain; charset=UTF-8").await;
        reply.expect_status(200);
        assert_eq!(reply.json["results"], json!(["suppressed"]));
        assert!(!subscribed(&app, id_of(&jane)).await);
        let event = all_events(&app, Some(id_of(&jane)))
            .await
            .pop()
            .expect("event");
        assert_eq!(event["source"], "ses");
        assert_eq!(event["evidence"]["provider"]["bounceType"], "Permanent");
        assert_eq!(event["evidence"]["provider"]["status"], "5.1.1");

        let transient = ses_fixture("notification-bounce-transient.json", &sns);
        let reply = post_json(&app, &ses, &transient, "text/plain; charset=UTF-8").await;
        assert_eq!(reply.json["results"], json!(["recorded"]));
        assert!(subscribed(&app, id_of(&mary)).await);
        let event = all_events(&app, Some(id_of(&mary)))
            .await
            .pop()
            .expect("event");
        assert_eq!(event["type"], "reported");
        assert_eq!(event["evidence"]["provider"]["report"], "soft_bounce");

        let complaint = ses_fixture("notification-complaint.json", &sns);
        let reply = post_json(&app, &ses, &complaint, "text/plain; charset=UTF-8").await;
        assert_eq!(reply.json["results"], json!(["suppressed"]));
        assert!(!subscribed(&app, id_of(&richard)).await);
        // The certificate was fetched once and kept.
        assert_eq!(sns.requests(), ["/cert.pem"]);
    }
);

backend_test!(
    an_sns_message_with_a_bad_signature_is_refused_and_changes_nothing,
    config = with_local_sns(),
    |app| async move {
        let sns = FakeSns::start().await;
        let jane = app.new_contact(json!({"email": "jane@example.com"})).await;
        let (_, ses) = inbound_urls(&app).await;
        let before = all_events(&app, None).await.len();
        let mut tampered = ses_fixture("notification-bounce-permanent.json", &sns);
        tampered["Message"] = json!(
            tampered["Message"]
                .as_str()
                .expect("message")
                .replace("General", "Suppressed")
        );
        post_json(&app, &ses, &tampered, "text/plain")
            .await
            .expect_error(403, "invalid_signature");
        let mut resigned_elsewhere = ses_fixture("notification-complaint.json", &sns);
        resigned_elsewhere["Signature"] =
            ses_fixture("notification-bounce-transient.json", &sns)["Signature"].clone();
        post_json(&app, &ses, &resigned_elsewhere, "text/plain")
            .await
            .expect_error(403, "invalid_signature");
        let mut garbage = ses_fixture("notification-complaint.json", &sns);
        garbage["Signature"] = json!("not base64!");
        post_json(&app, &ses, &garbage, "text/plain")
            .await
            .expect_error(400, "invalid_field");
        post_json(&app, &ses, &json!({"Type": "Notification"}), "text/plain")
            .await
            .expect_error(400, "invalid_field");
        assert!(subscribed(&app, id_of(&jane)).await);
        assert_eq!(all_events(&app, None).await.len(), before);
    }
);

backend_test!(
    outside_tests_only_https_sns_hosts_are_trusted_for_certificates,
    |app| async move {
        let sns = FakeSns::start().await;
        let jane = app.new_contact(json!({"email": "jane@example.com"})).await;
        let (_, ses) = inbound_urls(&app).await;
        let local = ses_fixture("notification-bounce-permanent.json", &sns);
        post_json(&app, &ses, &local, "text/plain")
            .await
            .expect_error(403, "invalid_signature");
        assert!(
            sns.requests().is_empty(),
            "nothing fetched from a host that is not SNS"
        );
        assert!(subscribed(&app, id_of(&jane)).await);
    }
);

backend_test!(
    an_sns_subscription_is_confirmed_by_fetching_its_subscribe_url,
    config = with_local_sns(),
    |app| async move {
        let sns = FakeSns::start().await;
        let (_, ses) = inbound_urls(&app).await;
        let topic = "arn:aws:sns:us-west-2:123456789012:ses-bounces";
        let subscribe = format!(
            "{}/?Action=ConfirmSubscription&TopicArn={topic}&Token=2336412f37fb687f5d51e6e2425a8a58",
            sns.base
        );
        let mut confirmation = json!({
            "Type": "SubscriptionConfirmation",
            "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
            "Token": "2336412f37fb687f5d51e6e2425a8a58",
            "TopicArn": topic,
            "Message": format!("You have chosen to subscribe to the topic {topic}.\nTo confirm the subscription, visit the SubscribeURL included in this message."),
            "SubscribeURL": subscribe,
            "Timestamp": "2012-04-26T20:45:04.751Z",
            "SigningCertURL": format!("{}/cert.pem", sns.base),
        });
        sign_v2(&mut confirmation);
        let reply = post_json(&app, &ses, &confirmation, "text/plain; charset=UTF-8").await;
        reply.expect_status(200);
        assert_eq!(reply.json["status"], "confirmed");
        let requests = sns.requests();
        assert!(
            requests
                .iter()
                .any(|r| r.contains("Action=ConfirmSubscription")
                    && r.contains("Token=2336412f37fb687f5d51e6e2425a8a58")),
            "{requests:?}"
        );
        // A forged confirmation (its SubscribeURL changed after signing) is not fetched.
        let before = sns.requests().len();
        confirmation["SubscribeURL"] = json!(format!("{}/evil", sns.base));
        post_json(&app, &ses, &confirmation, "text/plain")
            .await
            .expect_error(403, "invalid_signature");
        assert_eq!(sns.requests().len(), before);
    }
);

/// The reason of the suppression on contact `id`'s address (`GET …/consent`).
async fn consent_reason(app: &TestApp, id: &str) -> String {
    let reply = send(app.req(Method::GET, &format!("/v1/contacts/{id}/consent"))).await;
    reply.expect_status(200);
    reply.json["suppression"]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}
