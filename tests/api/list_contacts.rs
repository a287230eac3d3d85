//! GET /v1/contacts (api.md §3): paging, order, filters, newsletter_id rules.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;

/// Creates `count` contacts `p{i}@example.com` in requests of `per_request`.
async fn create_many(app: &TestApp, count: usize, per_request: usize) {
    let items: Vec<Value> = (0..count)
        .map(|i| json!({"email": format!("p{i}@example.com"), "subscribed": i % 3 != 0}))
        .collect();
    for chunk in items.chunks(per_request) {
        app.upsert(Value::Array(chunk.to_vec())).await;
    }
}

backend_test!(list_defaults_to_page_1_of_100, |app| async move {
    create_many(&app, 120, 120).await;
    // Unknown parameters are ignored, as a client may send its own.
    let reply = app
        .list(&format!("newsletter_id={}&sort=x&unknown=1", app.workspace))
        .await;
    reply.expect_status(200);
    assert_eq!(reply.json["data"].as_array().map(Vec::len), Some(100));
    assert_eq!(reply.json["total"], json!(120));
    assert_eq!(reply.json["page"], json!(1));
    assert_eq!(reply.json["offset"], json!(0));
    let keys: Vec<&str> = reply
        .json
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["data", "total", "page", "offset"]);
});

backend_test!(
    pages_are_stable_in_created_then_id_order_and_cover_everything_once,
    |app| async move {
        create_many(&app, 95, 7).await;
        let mut seen = Vec::new();
        for page in 1..=10 {
            let reply = app
                .list(&format!(
                    "newsletter_id={}&limit=10&page={page}",
                    app.workspace
                ))
                .await;
            reply.expect_status(200);
            assert_eq!(reply.json["total"], json!(95));
            assert_eq!(reply.json["page"], json!(page));
            assert_eq!(reply.json["offset"], json!((page - 1) * 10));
            let data = reply.json["data"].as_array().expect("data");
            assert_eq!(data.len(), if page == 10 { 5 } else { 10 });
            seen.extend(data.iter().cloned());
        }
        let ids: HashSet<&str> = seen.iter().map(id_of).collect();
        assert_eq!(ids.len(), 95, "no repeats, nothing missed");
        let keys: Vec<(&str, &str)> = seen
            .iter()
            .map(|c| (c["createdAt"].as_str().expect("createdAt"), id_of(c)))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "createdAt, then id");
        let past_end = app
            .list(&format!("newsletter_id={}&limit=10&page=11", app.workspace))
            .await;
        assert_eq!(past_end.json["data"], json!([]));
        assert_eq!(past_end.json["total"], json!(95));
    }
);

backend_test!(limit_bounds_are_1_and_1000, |app| async move {
    create_many(&app, 3, 3).await;
    for (limit, len) in [(1, 1), (1000, 3)] {
        let reply = app
            .list(&format!("newsletter_id={}&limit={limit}", app.workspace))
            .await;
        reply.expect_status(200);
        assert_eq!(reply.json["data"].as_array().map(Vec::len), Some(len));
    }
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=abc", "limit"),
        ("limit=-1", "limit"),
        ("limit=1.5", "limit"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=x", "page"),
        ("subscribed=maybe", "subscribed"),
        ("subscribed=2", "subscribed"),
    ] {
        let reply = app
            .list(&format!("newsletter_id={}&{query}", app.workspace))
            .await;
        reply.expect_error(400, "invalid_parameter");
        assert_eq!(reply.json["field"], json!(field), "{query}");
    }
});

backend_test!(
    email_filter_is_exact_and_case_insensitive,
    |app| async move {
        app.upsert(json!([
            {"email": "Noto@Example.com"},
            {"email": "noto@example.co"},
            {"email": "xnoto@example.com"}
        ]))
        .await;
        let reply = app
            .list(&format!(
                "newsletter_id={}&email=NOTO%40example.COM",
                app.workspace
            ))
            .await;
        assert_eq!(reply.json["total"], json!(1));
        assert_eq!(reply.json["data"][0]["email"], json!("Noto@Example.com"));
        let none = app
            .list(&format!("newsletter_id={}&email=noto", app.workspace))
            .await;
        none.expect_status(200);
        assert_eq!(
            (none.json["data"].clone(), none.json["total"].clone()),
            (json!([]), json!(0))
        );
    }
);

backend_test!(
    subscribed_filter_and_total_count_matches_only,
    |app| async move {
        create_many(&app, 30, 30).await;
        let unsubscribed = (0..30).filter(|i| i % 3 == 0).count();
        for (value, expected) in [("false", unsubscribed), ("true", 30 - unsubscribed)] {
            let reply = app
                .list(&format!(
                    "newsletter_id={}&subscribed={value}&limit=5",
                    app.workspace
                ))
                .await;
            assert_eq!(reply.json["total"], json!(expected));
            let data = reply.json["data"].as_array().expect("data");
            assert_eq!(data.len(), 5);
            assert!(
                data.iter()
                    .all(|c| c["subscribed"].as_bool() == Some(value == "true"))
            );
        }
    }
);

backend_test!(
    empty_workspace_lists_200_with_empty_data,
    |app| async move {
        let reply = app.list(&format!("newsletter_id={}", app.workspace)).await;
        reply.expect_status(200);
        assert_eq!(
            reply.json,
            json!({"data": [], "total": 0, "page": 1, "offset": 0})
        );
    }
);

backend_test!(list_shows_only_the_named_workspace, |app| async move {
    let other = app.create_workspace().await;
    app.bulk(&json!({"newsletter_id": other, "contacts": [{"email": "b@example.com"}]}))
        .await
        .expect_status(200);
    create_many(&app, 2, 2).await;
    let reply = app.list(&format!("newsletter_id={}", app.workspace)).await;
    assert_eq!(reply.json["total"], json!(2));
    let reply = app.list(&format!("newsletter_id={other}")).await;
    assert_eq!(reply.json["total"], json!(1));
    assert_eq!(reply.json["data"][0]["workspace_id"], json!(other));
});

backend_test!(
    newsletter_id_is_required_with_a_key_for_several_workspaces,
    |app| async move {
        let reply = app.list("").await;
        reply.expect_error(400, "missing_field");
        assert_eq!(reply.json["field"], json!("newsletter_id"));
        let other = app.create_workspace().await;
        let two = app.key_for(&[&app.workspace, &other]).await;
        let reply = send(app.req_as(&two.secret, Method::GET, "/v1/contacts")).await;
        reply.expect_error(400, "missing_field");
    }
);

backend_test!(
    newsletter_id_is_optional_with_a_key_for_one_workspace,
    |app| async move {
        let other = app.create_workspace().await;
        app.bulk(&json!({"newsletter_id": other, "contacts": [{"email": "o@example.com"}]}))
            .await
            .expect_status(200);
        create_many(&app, 2, 2).await;
        let one = app.key_for(&[&app.workspace]).await;
        let reply = send(app.req_as(&one.secret, Method::GET, "/v1/contacts?limit=10")).await;
        reply.expect_status(200);
        assert_eq!(reply.json["total"], json!(2));
        assert!(
            reply.json["data"]
                .as_array()
                .expect("data")
                .iter()
                .all(|c| c["workspace_id"] == json!(app.workspace))
        );
    }
);
