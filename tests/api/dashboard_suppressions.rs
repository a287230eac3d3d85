//! Suppression in the dashboard: the Suppressions page adds a manual suppression and lifts
//! one (through the store calls of `/v1/suppressions`, checked through the API), a
//! bounce lifts only with the override ticked, the contacts list filters by suppression,
//! a contact's page shows its suppression and its consent history; CSRF and read-only
//! sessions are refused and change nothing.

use crate::dashboard_browser::Browser;
use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

fn suppressions_path(app: &TestApp) -> String {
    format!("/admin/w/{}/suppressions", app.workspace)
}

backend_test!(
    a_manual_suppression_is_added_shown_filtered_and_lifted,
    |app| async move {
        let held = app.new_contact(json!({"email": "held@example.com"})).await;
        app.new_contact(json!({"email": "free@example.com"})).await;
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let base = suppressions_path(&app);

        let bad = browser.post(&base, &[("email", "not an address")]).await;
        assert_eq!(bad.status, 422);
        assert!(bad.text.contains(r#"id="email-error""#), "{}", bad.text);
        assert!(app.suppressions().await.is_empty());

        let added = browser.post(&base, &[("email", "Held@Example.com")]).await;
        assert_eq!(added.location(), format!("{base}?done=suppressed"));
        let listed = app.suppressions().await;
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0]["reason"], "manual");
        assert_eq!(listed[0]["email"], "held@example.com");
        assert_eq!(
            app.get_contact(id_of(&held)).await.json["subscribed"],
            false
        );

        let page = browser.get(&base).await;
        assert!(page.text.contains("held@example.com") && page.text.contains("manual"));
        let contacts = format!("/admin/w/{}/contacts", app.workspace);
        let suppressed = browser.get(&format!("{contacts}?suppression=yes")).await;
        assert!(suppressed.text.contains("held@example.com"));
        assert!(!suppressed.text.contains("free@example.com"));
        let not = browser
            .get(&format!("{contacts}?suppression=no&q=example"))
            .await;
        assert!(not.text.contains("free@example.com"));
        assert!(!not.text.contains("held@example.com"));

        let contact = browser.get(&format!("{contacts}/{}", id_of(&held))).await;
        assert!(
            contact.text.contains("suppressed: manual"),
            "{}",
            contact.text
        );
        assert!(contact.text.contains("Consent history"));
        assert!(
            contact.text.contains("IP 127.0.0.1"),
            "the dashboard's own write"
        );
        // No Resubscribe button that would be refused, but the way to lift it.
        assert!(!contact.text.contains("/resubscribe"), "{}", contact.text);
        assert!(contact.text.contains(&format!(r#"href="{base}""#)));

        let id = listed[0]["id"].as_str().expect("id").to_owned();
        let lifted = browser.post(&format!("{base}/{id}/lift"), &[]).await;
        assert_eq!(lifted.location(), format!("{base}?done=lifted"));
        assert!(app.suppressions().await.is_empty());
        let types = app.event_types(id_of(&held)).await;
        assert_eq!(types, ["created", "suppressed", "unsuppressed"]);
        let page = browser.get(&format!("{contacts}/{}", id_of(&held))).await;
        assert!(page.text.contains("Not suppressed"));
        assert!(
            page.text.contains("/resubscribe"),
            "lifted: it may be resubscribed"
        );
    }
);

backend_test!(
    a_bounce_lifts_only_with_the_override_ticked,
    |app| async move {
        app.new_contact(json!({"email": "gone@example.com"})).await;
        app.suppress("gone@example.com", "bounced")
            .await
            .expect_status(200);
        let id = app.suppressions().await[0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let base = suppressions_path(&app);
        let page = browser.get(&base).await;
        assert!(page.text.contains(r#"name="override_suppression""#));
        let refused = browser.post(&format!("{base}/{id}/lift"), &[]).await;
        assert_eq!(refused.status, 409, "{}", refused.text);
        assert_eq!(app.suppressions().await.len(), 1);
        let lifted = browser
            .post(
                &format!("{base}/{id}/lift"),
                &[("override_suppression", "yes")],
            )
            .await;
        assert_eq!(lifted.status, 303);
        assert!(app.suppressions().await.is_empty());
        let unknown = browser.post(&format!("{base}/{id}/lift"), &[]).await;
        assert_eq!(unknown.status, 404);
    }
);

backend_test!(
    read_only_and_forged_posts_change_no_suppression,
    |app| async move {
        app.suppress("kept@example.com", "manual")
            .await
            .expect_status(200);
        let id = app.suppressions().await[0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let base = suppressions_path(&app);
        let key = app
            .key(purrlist::domain::api_key::WorkspaceGrant::All, true)
            .await;
        let reader = Browser::signed_in(&app, &key.secret).await;
        let page = reader.get(&base).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("kept@example.com"));
        assert!(!page.text.contains("Suppress address") && !page.text.contains(">Lift<"));
        for (path, fields) in [
            (base.clone(), vec![("email", "new@example.com")]),
            (format!("{base}/{id}/lift"), vec![]),
        ] {
            let refused = reader.post(&path, &fields).await;
            assert_eq!(refused.status, 403, "{path}: {}", refused.text);
        }
        let writer = Browser::signed_in(&app, &app.api_key).await;
        let forged = writer
            .post_raw(
                &format!("{base}/{id}/lift"),
                &[("csrf", "0".repeat(64).as_str())],
            )
            .await;
        assert_eq!(forged.status, 403);
        let listed = app.suppressions().await;
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0]["email"], "kept@example.com");
    }
);

backend_test!(
    another_workspaces_suppressions_are_out_of_reach,
    |app| async move {
        let other = app.create_workspace().await;
        send(app.req(Method::POST, "/v1/suppressions").json(&json!({
            "newsletter_id": other, "email": "theirs@example.com", "reason": "manual"
        })))
        .await
        .expect_status(200);
        let listed = send(app.req(
            Method::GET,
            &format!("/v1/suppressions?newsletter_id={other}"),
        ))
        .await;
        let id = listed.json["data"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let key = app.key_for(&[&app.workspace]).await;
        let browser = Browser::signed_in(&app, &key.secret).await;
        let theirs = browser.get(&format!("/admin/w/{other}/suppressions")).await;
        assert_eq!(theirs.status, 404);
        assert!(!theirs.text.contains("theirs@example.com"));
        let mine = suppressions_path(&app);
        for path in [
            format!("{mine}/{id}/lift"),
            format!("/admin/w/{other}/suppressions/{id}/lift"),
        ] {
            let refused = browser.post(&path, &[]).await;
            assert_eq!(refused.status, 404, "{path}");
        }
        let still = send(app.req(
            Method::GET,
            &format!("/v1/suppressions?newsletter_id={other}"),
        ))
        .await;
        assert_eq!(still.json["total"], 1);
    }
);
