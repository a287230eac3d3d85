//! DELETE /v1/contacts (api.md §3): Notocat's rule on which contacts go.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

/// Three subscribed and two unsubscribed contacts in the test workspace.
async fn seed(app: &TestApp) {
    app.upsert(json!([
        {"email": "s1@example.com"},
        {"email": "s2@example.com", "subscribed": true},
        {"email": "s3@example.com"},
        {"email": "u1@example.com", "subscribed": false},
        {"email": "u2@example.com", "subscribed": false}
    ]))
    .await;
}

fn emails(contacts: &[serde_json::Value]) -> Vec<&str> {
    let mut list: Vec<&str> = contacts
        .iter()
        .map(|c| c["email"].as_str().expect("email"))
        .collect();
    list.sort();
    list
}

backend_test!(
    delete_by_default_removes_only_unsubscribed_contacts,
    |app| async move {
        seed(&app).await;
        let reply = app
            .delete(&format!("/v1/contacts?newsletter_id={}", app.workspace))
            .await;
        reply.expect_status(200);
        assert_eq!(reply.json, json!({"contacts_removed": 2}));
        assert_eq!(
            emails(&app.list_all().await),
            ["s1@example.com", "s2@example.com", "s3@example.com"]
        );
    }
);

backend_test!(
    delete_with_subscribed_false_is_the_default,
    |app| async move {
        seed(&app).await;
        let reply = app
            .delete(&format!(
                "/v1/contacts?newsletter_id={}&subscribed=false",
                app.workspace
            ))
            .await;
        assert_eq!(reply.json, json!({"contacts_removed": 2}));
        assert_eq!(app.list_all().await.len(), 3);
    }
);

backend_test!(
    delete_with_subscribed_true_removes_every_contact,
    |app| async move {
        seed(&app).await;
        let reply = app
            .delete(&format!(
                "/v1/contacts?newsletter_id={}&subscribed=true",
                app.workspace
            ))
            .await;
        assert_eq!(reply.json, json!({"contacts_removed": 5}));
        assert!(app.list_all().await.is_empty());
        let again = app
            .delete(&format!(
                "/v1/contacts?newsletter_id={}&subscribed=true",
                app.workspace
            ))
            .await;
        assert_eq!(again.json, json!({"contacts_removed": 0}));
    }
);

backend_test!(delete_touches_only_the_named_workspace, |app| async move {
    let other = app.create_workspace().await;
    app.bulk(&json!({"newsletter_id": other, "contacts": [
        {"email": "o1@example.com", "subscribed": false}, {"email": "o2@example.com"}
    ]}))
    .await
    .expect_status(200);
    seed(&app).await;
    let reply = app
        .delete(&format!(
            "/v1/contacts?newsletter_id={}&subscribed=true",
            app.workspace
        ))
        .await;
    assert_eq!(reply.json["contacts_removed"], json!(5));
    let theirs = app.list(&format!("newsletter_id={other}")).await;
    assert_eq!(theirs.json["total"], json!(2));
});

backend_test!(
    delete_with_a_one_workspace_key_may_leave_out_newsletter_id,
    |app| async move {
        let other = app.create_workspace().await;
        app.bulk(&json!({"newsletter_id": other, "contacts": [{"email": "o@example.com", "subscribed": false}]}))
            .await
            .expect_status(200);
        seed(&app).await;
        let one = app.key_for(&[&app.workspace]).await;
        let reply = send(app.req_as(&one.secret, Method::DELETE, "/v1/contacts")).await;
        assert_eq!(reply.json, json!({"contacts_removed": 2}));
        assert_eq!(app.snapshot().await.len(), 4);
    }
);

backend_test!(
    delete_without_newsletter_id_on_a_multi_workspace_key_is_400,
    |app| async move {
        seed(&app).await;
        let before = app.snapshot().await;
        let reply = app.delete("/v1/contacts?subscribed=true").await;
        reply.expect_error(400, "missing_field");
        assert_eq!(reply.json["field"], json!("newsletter_id"));
        let reply = app
            .delete(&format!(
                "/v1/contacts?newsletter_id={}&subscribed=all",
                app.workspace
            ))
            .await;
        reply.expect_error(400, "invalid_parameter");
        assert_eq!(reply.json["field"], json!("subscribed"));
        assert_eq!(app.snapshot().await, before);
    }
);
