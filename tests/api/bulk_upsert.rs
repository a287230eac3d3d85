//! POST /v1/contacts (api.md §3): create or update in bulk, all or nothing.

use crate::helpers::*;
use serde_json::{Value, json};

fn items(count: usize) -> Value {
    Value::Array(
        (0..count)
            .map(|i| json!({"email": format!("b{i}@example.com")}))
            .collect(),
    )
}

backend_test!(
    bulk_creates_with_defaults_and_reports_every_item,
    |app| async move {
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "a@example.com"},
                {"email": "b@example.com", "name": "B", "subscribed": false}
            ]}))
            .await;
        reply.expect_status(200);
        let keys: Vec<&str> = reply
            .json
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            ["synced", "created", "updated", "unchanged", "results"]
        );
        assert_eq!(reply.json["synced"], json!(2));
        assert_eq!(reply.json["created"], json!(2));
        assert_eq!(
            (
                reply.json["updated"].clone(),
                reply.json["unchanged"].clone()
            ),
            (json!(0), json!(0))
        );
        let results = reply.json["results"].as_array().expect("results");
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r["index"], json!(i));
            assert_eq!(r["status"], json!("created"));
        }
        let a = app
            .get_contact(results[0]["id"].as_str().expect("id"))
            .await
            .json;
        assert_eq!(
            (
                a["subscribed"].clone(),
                a["name"].clone(),
                a["first_name"].clone()
            ),
            (json!(true), json!(""), json!(""))
        );
        let b = app
            .get_contact(results[1]["id"].as_str().expect("id"))
            .await
            .json;
        assert_eq!(
            (b["subscribed"].clone(), b["name"].clone()),
            (json!(false), json!("B"))
        );
    }
);

backend_test!(
    bulk_matches_by_normalised_email_and_merges,
    |app| async move {
        let c = app
            .new_contact(json!({"email": "Match@Example.com", "name": "Old", "subscribed": false, "custom_fields": {"a": 1}}))
            .await;
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "match@EXAMPLE.com", "first_name": "F", "custom_fields": {"b": 2}}
            ]}))
            .await;
        reply.expect_status(200);
        assert_eq!(
            reply.json["results"][0],
            json!({"index": 0, "id": id_of(&c), "status": "updated"})
        );
        let after = app.get_contact(id_of(&c)).await.json;
        assert_eq!(after["name"], json!("Old"));
        assert_eq!(after["first_name"], json!("F"));
        assert_eq!(
            after["subscribed"],
            json!(false),
            "left-out subscribed never re-subscribes"
        );
        assert_eq!(after["custom_fields"], json!({"a": 1, "b": 2}));
        assert_eq!(app.snapshot().await.len(), 1);
    }
);

backend_test!(
    bulk_matches_by_id_first_and_may_change_the_email,
    |app| async move {
        let c = app.new_contact(json!({"email": "first@example.com"})).await;
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"id": id_of(&c), "email": "renamed@example.com"},
                {"id": id_of(&c), "name": "No email needed with an id"}
            ]}))
            .await;
        reply.expect_status(200);
        assert_eq!(reply.json["updated"], json!(2));
        let after = app.get_contact(id_of(&c)).await.json;
        assert_eq!(after["email"], json!("renamed@example.com"));
        assert_eq!(after["name"], json!("No email needed with an id"));
    }
);

backend_test!(
    same_email_twice_is_one_contact_with_the_later_item_winning_field_by_field,
    |app| async move {
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": "twice@example.com", "name": "First", "first_name": "Kept", "custom_fields": {"a": 1, "b": 1}},
                {"email": "TWICE@example.com", "name": "Second", "subscribed": false, "custom_fields": {"b": 2}}
            ]}))
            .await;
        reply.expect_status(200);
        let results = &reply.json["results"];
        assert_eq!(results[0]["id"], results[1]["id"]);
        assert_eq!(results[0]["status"], json!("created"));
        assert_eq!(results[1]["status"], json!("updated"));
        assert_eq!(reply.json["created"], json!(1));
        let all = app.list_all().await;
        assert_eq!(all.len(), 1);
        let c = &all[0];
        assert_eq!(
            c["email"],
            json!("TWICE@example.com"),
            "the later item set the email too"
        );
        assert_eq!(
            (c["name"].clone(), c["first_name"].clone()),
            (json!("Second"), json!("Kept"))
        );
        assert_eq!(c["subscribed"], json!(false));
        assert_eq!(c["custom_fields"], json!({"a": 1, "b": 2}));
    }
);

backend_test!(
    bulk_that_changes_nothing_is_unchanged_and_keeps_updated_at,
    |app| async move {
        let c = app
            .new_contact(json!({"email": "same@example.com", "name": "S"}))
            .await;
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": [{"email": "same@example.com", "name": "S"}]}))
            .await;
        assert_eq!(reply.json["unchanged"], json!(1));
        assert_eq!(reply.json["results"][0]["status"], json!("unchanged"));
        assert_eq!(app.get_contact(id_of(&c)).await.json, c);
    }
);

backend_test!(
    bulk_accepts_1_and_1000_items_but_not_0_or_1001,
    |app| async move {
        for count in [0, 1001] {
            let reply = app
                .bulk(&json!({"newsletter_id": app.workspace, "contacts": items(count)}))
                .await;
            assert_eq!(reply.status, 400, "{count} items");
            assert_eq!(reply.json["field"], json!("contacts"));
        }
        assert!(app.snapshot().await.is_empty());
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": items(1000)}))
            .await;
        reply.expect_status(200);
        assert_eq!(
            (reply.json["synced"].clone(), reply.json["created"].clone()),
            (json!(1000), json!(1000))
        );
        assert_eq!(app.snapshot().await.len(), 1000);
        let reply = app
            .bulk(&json!({"newsletter_id": app.workspace, "contacts": items(1)}))
            .await;
        assert_eq!(reply.json["unchanged"], json!(1));
    }
);

backend_test!(
    bulk_writes_only_into_the_named_workspace,
    |app| async move {
        let other = app.create_workspace().await;
        app.new_contact(json!({"email": "same@example.com", "name": "Mine"}))
            .await;
        let reply = app
            .bulk(&json!({"newsletter_id": other, "contacts": [{"email": "same@example.com", "name": "Theirs"}]}))
            .await;
        assert_eq!(
            reply.json["created"],
            json!(1),
            "a match is only within the workspace"
        );
        let mine = app.list_all().await;
        assert_eq!(mine[0]["name"], json!("Mine"));
    }
);

backend_test!(
    bulk_may_move_an_email_away_and_reuse_it_in_the_same_request,
    |app| async move {
        let a = app
            .new_contact(json!({"email": "moving@example.com"}))
            .await;
        let reply = app
            .upsert(json!([
                {"id": id_of(&a), "email": "moved@example.com"},
                {"email": "MOVING@example.com", "name": "Newcomer"}
            ]))
            .await;
        assert_eq!(
            (reply["updated"].clone(), reply["created"].clone()),
            (json!(1), json!(1))
        );
        let all = app.list_all().await;
        assert_eq!(all.len(), 2);
        assert_eq!(
            app.get_contact(id_of(&a)).await.json["email"],
            json!("moved@example.com")
        );
        let newcomer = all
            .iter()
            .find(|c| id_of(c) != id_of(&a))
            .expect("new contact");
        assert_eq!(newcomer["email"], json!("MOVING@example.com"));
    }
);

backend_test!(bulk_body_up_to_8_mib_is_accepted, |app| async move {
    let contacts: Vec<Value> = (0..1000)
        .map(|i| json!({"email": format!("big{i}@example.com"), "pad": "x".repeat(8000)}))
        .collect();
    let reply = app
        .bulk(&json!({"newsletter_id": app.workspace, "contacts": contacts}))
        .await;
    reply.expect_status(200);
    assert_eq!(reply.json["created"], json!(1000));
});
