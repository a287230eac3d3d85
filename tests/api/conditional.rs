//! ETag and If-Match on one contact (api.md §4): conditional writes and the lost update.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

fn etag(reply: &Reply) -> String {
    reply.header("etag").expect("ETag header").to_owned()
}

async fn put_if(app: &TestApp, id: &str, if_match: &str, body: Value) -> Reply {
    send(
        app.req(Method::PUT, &format!("/v1/contacts/{id}"))
            .header("if-match", if_match)
            .json(&body),
    )
    .await
}

async fn delete_if(app: &TestApp, id: &str, if_match: &str) -> Reply {
    send(
        app.req(Method::DELETE, &format!("/v1/contacts/{id}"))
            .header("if-match", if_match),
    )
    .await
}

backend_test!(
    etag_changes_exactly_when_the_contact_does,
    |app| async move {
        let c = app.new_contact(json!({"email": "e@example.com"})).await;
        let id = id_of(&c);
        let first = app.get_contact(id).await;
        let tag = etag(&first);
        assert!(
            tag.starts_with('"') && tag.ends_with('"'),
            "strong ETag: {tag}"
        );
        let same = app
            .put_contact(id, &json!({"email": "e@example.com"}))
            .await;
        assert_eq!(etag(&same), tag, "a no-op write keeps the ETag");
        let changed = app
            .put_contact(id, &json!({"email": "e@example.com", "name": "E"}))
            .await;
        assert_ne!(etag(&changed), tag);
        assert_eq!(etag(&app.get_contact(id).await), etag(&changed));
        app.upsert(json!([{"id": id, "subscribed": false}])).await;
        assert_ne!(etag(&app.get_contact(id).await), etag(&changed));
        // Only single-contact answers carry an ETag.
        assert!(app.list("").await.header("etag").is_none());
    }
);

backend_test!(if_match_guards_put_and_delete, |app| async move {
    let c = app.new_contact(json!({"email": "m@example.com"})).await;
    let id = id_of(&c);
    let old = etag(&app.get_contact(id).await);
    let ok = put_if(
        &app,
        id,
        &old,
        json!({"email": "m@example.com", "name": "1"}),
    )
    .await;
    ok.expect_status(200);
    let current = etag(&ok);
    let before = app.snapshot().await;
    put_if(
        &app,
        id,
        &old,
        json!({"email": "m@example.com", "name": "2"}),
    )
    .await
    .expect_error(412, "precondition_failed");
    delete_if(&app, id, &old)
        .await
        .expect_error(412, "precondition_failed");
    let weak = format!("W/{current}");
    put_if(
        &app,
        id,
        &weak,
        json!({"email": "m@example.com", "name": "2"}),
    )
    .await
    .expect_error(412, "precondition_failed");
    for bad in ["1", "\"1", "W/1"] {
        put_if(
            &app,
            id,
            bad,
            json!({"email": "m@example.com", "name": "2"}),
        )
        .await
        .expect_error(400, "invalid_header");
    }
    assert_eq!(
        app.snapshot().await,
        before,
        "refused writes change nothing"
    );
    let listed = format!("\"999\", {current}");
    put_if(
        &app,
        id,
        &listed,
        json!({"email": "m@example.com", "name": "3"}),
    )
    .await
    .expect_status(200);
    put_if(
        &app,
        id,
        "*",
        json!({"email": "m@example.com", "name": "4"}),
    )
    .await
    .expect_status(200);
    let now = etag(&app.get_contact(id).await);
    delete_if(&app, id, &now).await.expect_status(204);
    delete_if(&app, id, "*")
        .await
        .expect_error(404, "contact_not_found");
    put_if(
        &app,
        "con_AAAAAAAAAAAAAAAAAAAAA",
        "*",
        json!({"email": "m@example.com"}),
    )
    .await
    .expect_error(404, "contact_not_found");
});

backend_test!(lost_update_race_has_exactly_one_winner, |app| async move {
    for round in 0..10 {
        let c = app
            .new_contact(json!({"email": format!("r{round}@example.com")}))
            .await;
        let id = id_of(&c).to_owned();
        let tag = etag(&app.get_contact(&id).await);
        let send_put = |name: &str| {
            app.req(Method::PUT, &format!("/v1/contacts/{id}"))
                .header("if-match", tag.as_str())
                .json(&json!({"email": format!("r{round}@example.com"), "name": name}))
                .send()
        };
        let (a, b) = tokio::join!(send_put("alice"), send_put("bob"));
        let (a, b) = (a.expect("alice"), b.expect("bob"));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 412], "round {round}");
        let winner = if a.status() == 200 { "alice" } else { "bob" };
        let stored = app.get_contact(&id).await;
        assert_eq!(stored.json["name"], json!(winner));
    }
});
