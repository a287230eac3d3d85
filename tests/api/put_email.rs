//! PUT /v1/contacts/{id} and email (api.md §1, §3): changes, uniqueness per workspace, limits.

use crate::helpers::*;
use serde_json::{Value, json};

backend_test!(put_changes_the_email, |app| async move {
    let c = app.new_contact(json!({"email": "old@example.com"})).await;
    let reply = app
        .put_contact(id_of(&c), &json!({"email": "New@Example.com"}))
        .await;
    reply.expect_status(200);
    assert_eq!(reply.json["email"], json!("New@Example.com"));
    let found = app
        .list(&format!(
            "email=new@example.com&newsletter_id={}",
            app.workspace
        ))
        .await;
    assert_eq!(found.json["total"], json!(1));
    let old = app
        .list(&format!(
            "email=old@example.com&newsletter_id={}",
            app.workspace
        ))
        .await;
    assert_eq!(old.json["total"], json!(0));
});

backend_test!(
    put_email_of_another_contact_is_409_email_taken_whatever_the_case,
    |app| async move {
        app.new_contact(json!({"email": "taken@example.com"})).await;
        let c = app.new_contact(json!({"email": "mine@example.com"})).await;
        let before = app.snapshot().await;
        let reply = app
            .put_contact(
                id_of(&c),
                &json!({"email": " TAKEN@example.COM ", "name": "x"}),
            )
            .await;
        reply.expect_error(409, "email_taken");
        assert_eq!(reply.json["field"], json!("email"));
        assert_eq!(app.snapshot().await, before);
    }
);

backend_test!(put_may_change_the_case_of_its_own_email, |app| async move {
    let c = app.new_contact(json!({"email": "case@example.com"})).await;
    let reply = app
        .put_contact(id_of(&c), &json!({"email": "CASE@example.com"}))
        .await;
    reply.expect_status(200);
    assert_eq!(reply.json["email"], json!("CASE@example.com"));
});

backend_test!(
    put_email_used_in_another_workspace_is_allowed,
    |app| async move {
        let other = app.create_workspace().await;
        app.bulk(&json!({"newsletter_id": other, "contacts": [{"email": "both@example.com"}]}))
            .await
            .expect_status(200);
        let c = app.new_contact(json!({"email": "one@example.com"})).await;
        app.put_contact(id_of(&c), &json!({"email": "both@example.com"}))
            .await
            .expect_status(200);
    }
);

backend_test!(email_uniqueness_folds_ascii_case_only, |app| async move {
    let upper = app.new_contact(json!({"email": "ÉCOLE@example.com"})).await;
    let c = app.new_contact(json!({"email": "other@example.com"})).await;
    app.put_contact(id_of(&c), &json!({"email": "ÉCOLE@EXAMPLE.com"}))
        .await
        .expect_error(409, "email_taken");
    // `É` and `é` are compared as given (docs/api.md, "Emails"): another mailbox.
    app.put_contact(id_of(&c), &json!({"email": "école@EXAMPLE.com"}))
        .await
        .expect_status(200);
    let found = app
        .list(&format!(
            "newsletter_id={}&email=%C3%A9cole%40example.com",
            app.workspace
        ))
        .await;
    assert_eq!(found.json["total"], json!(1));
    assert_eq!(found.json["data"][0]["id"], c["id"]);
    assert_eq!(app.get_contact(id_of(&upper)).await.json, upper);
});

backend_test!(values_at_the_limits_are_accepted, |app| async move {
    let c = app
        .new_contact(json!({"email": "limits@example.com"}))
        .await;
    let email = format!(
        "{}@{}.{}.{}.com",
        "l".repeat(64),
        "d".repeat(63),
        "e".repeat(63),
        "f".repeat(57)
    );
    assert_eq!(email.chars().count(), 254);
    let fields: serde_json::Map<String, Value> =
        (0..100).map(|i| (format!("{i:0>64}"), json!(i))).collect();
    let body = json!({
        "email": email, "name": "é".repeat(256), "first_name": "f".repeat(256),
        "last_name": "🐈".repeat(256), "custom_fields": fields
    });
    let reply = app.put_contact(id_of(&c), &body).await;
    reply.expect_status(200);
    for field in ["email", "name", "first_name", "last_name", "custom_fields"] {
        assert_eq!(reply.json[field], body[field], "{field}");
    }
});
