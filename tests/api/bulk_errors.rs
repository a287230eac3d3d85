//! POST /v1/contacts failures (api.md §3): all or nothing, every bad item in `details`.

use crate::helpers::*;
use serde_json::json;

/// Each detail as (index, field, code), after checking it carries a message.
fn details(reply: &Reply) -> Vec<(u64, String, String)> {
    reply.json["details"]
        .as_array()
        .expect("details")
        .iter()
        .map(|d| {
            assert!(!d["message"].as_str().unwrap_or("").is_empty(), "{d}");
            let text = |k: &str| d[k].as_str().expect(k).to_owned();
            (
                d["index"].as_u64().expect("index"),
                text("field"),
                text("code"),
            )
        })
        .collect()
}

fn detail(index: u64, field: &str, code: &str) -> (u64, String, String) {
    (index, field.to_owned(), code.to_owned())
}

backend_test!(
    bulk_is_all_or_nothing_and_lists_every_invalid_item,
    |app| async move {
        let c = app
            .new_contact(json!({"email": "exists@example.com", "name": "Before"}))
            .await;
        let before = app.snapshot().await;
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "good@example.com"},
                {"email": "bad"},
                {"email": "exists@example.com", "name": "After"},
                {"name": "no email, no id"},
                {"email": "ok@example.com", "subscribed": "no"},
                "not an object"
            ]}))
            .await;
        reply.expect_error(400, "invalid_contacts");
        assert_eq!(reply.json["field"], json!("contacts"));
        assert_eq!(
            details(&reply),
            [
                detail(1, "email", "invalid_email"),
                detail(3, "email", "missing_field"),
                detail(4, "subscribed", "invalid_field"),
                detail(5, "contacts", "invalid_field"),
            ]
        );
        assert_eq!(app.snapshot().await, before);
        assert_eq!(
            app.get_contact(id_of(&c)).await.json["name"],
            json!("Before")
        );
    }
);

backend_test!(
    bulk_lists_every_item_that_cannot_be_applied,
    |app| async move {
        let a = app.new_contact(json!({"email": "a@example.com"})).await;
        app.new_contact(json!({"email": "b@example.com"})).await;
        let before = app.snapshot().await;
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "new@example.com"},
                {"id": "con_AAAAAAAAAAAAAAAAAAAAA", "name": "x"},
                {"id": id_of(&a), "email": "B@example.com"},
                {"id": "con_bad"},
                {"email": "a@example.com", "name": "fine"}
            ]}))
            .await;
        reply.expect_error(400, "invalid_contacts");
        assert_eq!(
            details(&reply),
            [
                detail(1, "id", "contact_not_found"),
                detail(2, "email", "email_taken"),
                detail(3, "id", "contact_not_found"),
            ]
        );
        assert_eq!(app.snapshot().await, before);
    }
);

backend_test!(
    bulk_id_of_another_workspace_is_contact_not_found,
    |app| async move {
        let other = app.create_workspace().await;
        let reply = app
            .bulk(&json!({"newsletter_id": other, "contacts": [{"email": "theirs@example.com"}]}))
            .await;
        let theirs = reply.json["results"][0]["id"].clone();
        let before = app.snapshot().await;
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "mine@example.com"},
                {"id": theirs, "name": "stolen"}
            ]}))
            .await;
        reply.expect_error(400, "invalid_contacts");
        assert_eq!(reply.json["details"][0]["index"], json!(1));
        assert_eq!(reply.json["details"][0]["code"], json!("contact_not_found"));
        assert_eq!(app.snapshot().await, before);
    }
);

backend_test!(
    bulk_details_list_invalid_and_unappliable_items_together,
    |app| async move {
        let before = app.snapshot().await;
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"id": "con_AAAAAAAAAAAAAAAAAAAAA", "name": "unknown id"},
                {"email": "bad"},
                {"email": "fine@example.com"},
                {"id": "con_bad"}
            ]}))
            .await;
        reply.expect_error(400, "invalid_contacts");
        assert_eq!(
            details(&reply),
            [
                detail(0, "id", "contact_not_found"),
                detail(1, "email", "invalid_email"),
                detail(3, "id", "contact_not_found"),
            ]
        );
        assert_eq!(app.snapshot().await, before);
    }
);
