//! The dashboard's webhook pages against a real receiver on loopback: an endpoint added with
//! its secret shown once, a test message and a change delivered and signed with it, the
//! deliveries listed, switching off and on, replaying; private targets refused by default.

use crate::dashboard_browser::Browser;
use crate::webhook_receiver::Receiver;
use crate::webhooks_api::allowing_private;
use regex::Regex;
use serde_json::json;

backend_test!(
    an_endpoint_added_in_the_dashboard_receives_a_test_and_the_changes,
    config = allowing_private(),
    |app| async move {
        let receiver = Receiver::start().await;
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let base = format!("/admin/w/{}/webhooks", app.workspace);
        let added = browser
            .post(
                &base,
                &[
                    ("url", receiver.url("/hook").as_str()),
                    ("description", "mine"),
                ],
            )
            .await;
        assert_eq!(added.status, 200, "{}", added.text);
        let secret = Regex::new(r#"value="(whsec_[^"]+)""#)
            .expect("regex")
            .captures(&added.text)
            .map(|c| c[1].to_owned())
            .expect("the secret, once");
        let endpoint = added
            .links()
            .into_iter()
            .find(|l| l.starts_with(&format!("{base}/whk_")))
            .expect("a link to the endpoint");
        assert!(
            !browser.get(&base).await.text.contains(&secret),
            "shown once"
        );

        let test = browser.post(&format!("{endpoint}/test"), &[]).await;
        assert!(test.location().ends_with("done=test"));
        app.new_contact(json!({"email": "hooked@example.com"}))
            .await;
        let got = receiver
            .wait_until("the test and the change", |all| all.len() >= 2)
            .await;
        assert!(
            got.iter().all(|r| r.signed_by(&secret)),
            "signed with the secret shown"
        );
        let types: Vec<String> = got
            .iter()
            .map(|r| r.json()["type"].as_str().unwrap_or("").to_owned())
            .collect();
        assert!(types.contains(&"webhook.test".to_owned()), "{types:?}");

        let page = browser.get(&endpoint).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("delivered"), "{}", page.text);

        let off = browser
            .post(&format!("{endpoint}/enabled"), &[("enabled", "no")])
            .await;
        assert!(off.location().ends_with("done=off"));
        assert!(browser.get(&endpoint).await.text.contains("switched off"));
        let on = browser
            .post(&format!("{endpoint}/enabled"), &[("enabled", "yes")])
            .await;
        assert!(on.location().ends_with("done=on"));
        let before = receiver.all().len();
        let replay = browser
            .post(&format!("{endpoint}/replay"), &[("after", "0")])
            .await;
        assert!(replay.location().ends_with("done=replay"));
        receiver
            .wait_until("the change sent again", |all| all.len() > before)
            .await;
        let bad = browser
            .post(&format!("{endpoint}/replay"), &[("after", "x")])
            .await;
        assert_eq!(bad.status, 422);
    }
);

backend_test!(
    private_targets_are_refused_next_to_the_field,
    |app| async move {
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let base = format!("/admin/w/{}/webhooks", app.workspace);
        let refused = browser
            .post(&base, &[("url", "http://127.0.0.1:9/hook")])
            .await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert!(
            refused.text.contains(r#"id="url-error""#),
            "{}",
            refused.text
        );
        assert!(
            app.store
                .list_webhooks(
                    &purrlist::domain::ids::WorkspaceId::parse(&app.workspace).expect("id")
                )
                .await
                .expect("list")
                .is_empty()
        );
    }
);
