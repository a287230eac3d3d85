//! PUT /v1/contacts/{id} (api.md §3): merge semantics, email changes, no-op writes.

use crate::helpers::*;
use purrlist::domain::timestamp::Timestamp;
use serde_json::{Value, json};

/// Waits until the clock has left the millisecond of `at`, so a later write gets a later time.
async fn clock_passes(at: &Value) {
    let shown = at.as_str().expect("timestamp").to_owned();
    while Timestamp::now().to_rfc3339() <= shown {
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
}

backend_test!(
    put_without_subscribed_keeps_unsubscribed,
    |app| async move {
        let c = app
            .new_contact(json!({"email": "u@example.com", "subscribed": false}))
            .await;
        let reply = app
            .put_contact(
                id_of(&c),
                &json!({"email": "u@example.com", "name": "Still out"}),
            )
            .await;
        reply.expect_status(200);
        assert_eq!(reply.json["subscribed"], json!(false));
        assert_eq!(reply.json["name"], json!("Still out"));
    }
);

backend_test!(put_left_out_fields_keep_their_values, |app| async move {
    let c = app
        .new_contact(json!({
            "email": "keep@example.com", "name": "N", "first_name": "F", "last_name": "L",
            "custom_fields": {"plan": "pro"}
        }))
        .await;
    let reply = app
        .put_contact(id_of(&c), &json!({"email": "keep@example.com"}))
        .await;
    reply.expect_status(200);
    assert_eq!(reply.json, c, "nothing changed, updatedAt included");
});

backend_test!(
    put_sets_every_given_field_and_returns_the_whole_contact,
    |app| async move {
        let c = app.new_contact(json!({"email": "set@example.com"})).await;
        let body = json!({
            "email": "set2@example.com", "name": "Noto", "first_name": "No", "last_name": "Cat",
            "subscribed": false, "custom_fields": {"plan": "pro"}
        });
        let reply = app.put_contact(id_of(&c), &body).await;
        reply.expect_status(200);
        for field in [
            "email",
            "name",
            "first_name",
            "last_name",
            "subscribed",
            "custom_fields",
        ] {
            assert_eq!(reply.json[field], body[field], "{field}");
        }
        assert_eq!(app.get_contact(id_of(&c)).await.json, reply.json);
    }
);

backend_test!(
    put_subscribed_true_resubscribes_only_when_given,
    |app| async move {
        let c = app
            .new_contact(json!({"email": "re@example.com", "subscribed": false}))
            .await;
        let reply = app
            .put_contact(
                id_of(&c),
                &json!({"email": "re@example.com", "subscribed": true}),
            )
            .await;
        assert_eq!(reply.json["subscribed"], json!(true));
    }
);

backend_test!(put_null_name_clears_it_to_empty_string, |app| async move {
    let c = app
        .new_contact(json!({"email": "nn@example.com", "name": "Gone"}))
        .await;
    let reply = app
        .put_contact(id_of(&c), &json!({"email": "nn@example.com", "name": null}))
        .await;
    assert_eq!(reply.json["name"], json!(""));
});

backend_test!(
    put_custom_fields_merge_key_by_key_and_null_removes,
    |app| async move {
        let c = app
            .new_contact(
                json!({"email": "cf@example.com", "custom_fields": {"a": 1, "b": "x", "c": true}}),
            )
            .await;
        let reply = app
            .put_contact(
                id_of(&c),
                &json!({"email": "cf@example.com", "custom_fields": {"b": "y", "c": null, "d": 2.5}}),
            )
            .await;
        reply.expect_status(200);
        assert_eq!(
            reply.json["custom_fields"],
            json!({"a": 1, "b": "y", "d": 2.5})
        );
    }
);

backend_test!(
    put_custom_fields_accepts_both_array_forms,
    |app| async move {
        let c = app.new_contact(json!({"email": "arr@example.com"})).await;
        let reply = app
            .put_contact(
                id_of(&c),
                &json!({"email": "arr@example.com",
                        "custom_fields": [{"key": "plan", "value": "pro"}, {"key": "seats", "value": 3}]}),
            )
            .await;
        assert_eq!(
            reply.json["custom_fields"],
            json!({"plan": "pro", "seats": 3})
        );
        let reply = app
            .put_contact(
                id_of(&c),
                &json!({"email": "arr@example.com", "custom_fields": [{"plan": "team"}, {"seats": null}]}),
            )
            .await;
        reply.expect_status(200);
        assert_eq!(reply.json["custom_fields"], json!({"plan": "team"}));
    }
);

backend_test!(
    put_that_changes_nothing_keeps_updated_at_and_a_change_bumps_it,
    |app| async move {
        let c = app
            .new_contact(
                json!({"email": "t@example.com", "name": "Same", "custom_fields": {"k": 1}}),
            )
            .await;
        clock_passes(&c["updatedAt"]).await;
        let same = app
            .put_contact(
                id_of(&c),
                &json!({"email": "t@example.com", "name": "Same", "subscribed": true, "custom_fields": {"k": 1}}),
            )
            .await;
        assert_eq!(same.json["updatedAt"], c["updatedAt"]);
        let changed = app
            .put_contact(
                id_of(&c),
                &json!({"email": "t@example.com", "name": "Other"}),
            )
            .await;
        assert!(changed.json["updatedAt"].as_str() > c["updatedAt"].as_str());
        assert_eq!(changed.json["createdAt"], c["createdAt"]);
    }
);

backend_test!(put_ignores_read_only_and_unknown_fields, |app| async move {
    let other = app.create_workspace().await;
    let c = app.new_contact(json!({"email": "ro@example.com"})).await;
    let reply = app
        .put_contact(
            id_of(&c),
            &json!({
                "email": "ro@example.com", "id": "con_AAAAAAAAAAAAAAAAAAAAA",
                "workspace_id": other, "unsub_token": "AAAAAAAAAAAAAAAAAAAAA",
                "createdAt": "2000-01-01T00:00:00.000Z", "updatedAt": "2000-01-01T00:00:00.000Z",
                "favourite_food": "fish", "version": 99
            }),
        )
        .await;
    reply.expect_status(200);
    assert_eq!(reply.json, c);
    assert_eq!(app.get_contact(id_of(&c)).await.json, c);
});

backend_test!(put_without_email_is_400_missing_field, |app| async move {
    let c = app.new_contact(json!({"email": "me@example.com"})).await;
    let reply = app.put_contact(id_of(&c), &json!({"name": "x"})).await;
    reply.expect_error(400, "missing_field");
    assert_eq!(reply.json["field"], json!("email"));
});

backend_test!(put_bad_values_are_400_naming_the_field, |app| async move {
    let c = app.new_contact(json!({"email": "bad@example.com"})).await;
    let cases = [
        (json!({"email": "not-an-email"}), "email", "invalid_email"),
        (
            json!({"email": "bad@example.com", "name": 1}),
            "name",
            "invalid_field",
        ),
        (
            json!({"email": "bad@example.com", "last_name": "x".repeat(257)}),
            "last_name",
            "invalid_field",
        ),
        (
            json!({"email": "bad@example.com", "subscribed": "true"}),
            "subscribed",
            "invalid_field",
        ),
        (
            json!({"email": "bad@example.com", "custom_fields": 3}),
            "custom_fields",
            "invalid_custom_fields",
        ),
    ];
    for (body, field, code) in cases {
        let reply = app.put_contact(id_of(&c), &body).await;
        reply.expect_error(400, code);
        assert_eq!(reply.json["field"], json!(field), "{body}");
    }
    assert_eq!(app.get_contact(id_of(&c)).await.json, c);
});

backend_test!(
    put_unknown_or_malformed_id_is_404_contact_not_found,
    |app| async move {
        for id in [
            "con_AAAAAAAAAAAAAAAAAAAAA",
            "con_short",
            "wks_AAAAAAAAAAAAAAAAAAAAA",
            "42",
        ] {
            app.put_contact(id, &json!({"email": "x@example.com"}))
                .await
                .expect_error(404, "contact_not_found");
        }
        assert!(app.snapshot().await.is_empty(), "PUT never creates");
    }
);
