//! `GET /v1/contacts?after=<contact id>` (docs/api.md, "Keyset pages"): the list walked by
//! keyset gives what paging by number gives, filters hold, and a cursor that does not fit
//! is a clear 400, never a 5xx.

use crate::helpers::*;
use serde_json::{Value, json};

/// Creates `count` contacts `k{i}@example.com` in requests of `per_request` (a request's
/// contacts share a `createdAt`, so ties on time are broken by id); every third one is
/// unsubscribed.
async fn create_many(app: &TestApp, count: usize, per_request: usize) {
    let items: Vec<Value> = (0..count)
        .map(|i| json!({"email": format!("k{i}@example.com"), "subscribed": i % 3 != 0}))
        .collect();
    for chunk in items.chunks(per_request) {
        app.upsert(Value::Array(chunk.to_vec())).await;
    }
}

fn ids(contacts: &[Value]) -> Vec<String> {
    contacts.iter().map(|c| id_of(c).to_owned()).collect()
}

/// Every contact `filters` select, walked by `page`.
async fn walk_by_page(app: &TestApp, filters: &str, limit: u32) -> Vec<String> {
    let mut all = Vec::new();
    for page in 1.. {
        let reply = app
            .list(&format!(
                "newsletter_id={}&limit={limit}&page={page}{filters}",
                app.workspace
            ))
            .await;
        reply.expect_status(200);
        let data = reply.json["data"].as_array().expect("data").clone();
        if data.is_empty() {
            return all;
        }
        all.extend(ids(&data));
    }
    unreachable!()
}

/// Every contact `filters` select, walked by `after` from `after=` (the start), following
/// `next_after`; checks each answer's shape on the way.
async fn walk_by_keyset(app: &TestApp, filters: &str, limit: u32, total: u64) -> Vec<String> {
    let mut all = Vec::new();
    let mut after = String::new();
    loop {
        let reply = app
            .list(&format!(
                "newsletter_id={}&limit={limit}&after={after}{filters}",
                app.workspace
            ))
            .await;
        reply.expect_status(200);
        assert_eq!(
            reply.json["total"],
            json!(total),
            "every match, at any depth"
        );
        assert_eq!(reply.json["page"], Value::Null);
        assert_eq!(reply.json["offset"], Value::Null);
        let data = reply.json["data"].as_array().expect("data").clone();
        all.extend(ids(&data));
        match &reply.json["next_after"] {
            Value::Null => {
                assert!(
                    !data.is_empty() || all.is_empty(),
                    "no empty page after the last"
                );
                return all;
            }
            Value::String(next) => {
                assert_eq!(data.len(), limit as usize, "only a full page has a next");
                assert_eq!(next, id_of(data.last().expect("a full page")));
                after = next.clone();
            }
            other => panic!("next_after {other}"),
        }
    }
}

backend_test!(
    walking_by_after_gives_what_walking_by_page_gives,
    |app| async move {
        create_many(&app, 95, 7).await;
        // An import keeps the file's sign-up time: this one lands first in the list.
        let job = app
            .start_import(
                "",
                b"email,createdAt\nearly@example.com,2019-04-25T14:34:03.000Z\n",
            )
            .await;
        assert_eq!(app.finished_import(&job).await["status"], "succeeded");
        for (filters, total) in [
            ("", 96),
            ("&subscribed=true", 64),
            ("&subscribed=false", 32),
        ] {
            let by_page = walk_by_page(&app, filters, 10).await;
            assert_eq!(by_page.len() as u64, total);
            assert_eq!(
                walk_by_keyset(&app, filters, 10, total).await,
                by_page,
                "{filters}"
            );
            // A last page that is full: `next_after` is null on it, not on an empty page
            // after it.
            let limit = if total == 96 { 16 } else { 8 };
            assert_eq!(walk_by_keyset(&app, filters, limit, total).await, by_page);
        }
        let all = app.list_all().await;
        assert_eq!(all[0]["email"], "early@example.com");
        assert_eq!(all[0]["createdAt"], "2019-04-25T14:34:03.000Z");
        // Straight after the imported contact comes the first one made by the API.
        let reply = app
            .list(&format!(
                "newsletter_id={}&limit=2&after={}",
                app.workspace,
                id_of(&all[0])
            ))
            .await;
        reply.expect_status(200);
        assert_eq!(
            ids(reply.json["data"].as_array().expect("data")),
            ids(&all[1..3])
        );
        assert_eq!(reply.json["next_after"], json!(id_of(&all[2])));
    }
);

backend_test!(
    after_with_email_and_page_1_keeps_the_rules,
    |app| async move {
        create_many(&app, 5, 5).await;
        let all = app.list_all().await;
        let (first, last) = (id_of(&all[0]), id_of(&all[4]));
        let ws = &app.workspace;
        // `email` still matches one contact, counted in `total` whichever side of the cursor.
        for (after, found) in [(first, 1), (last, 0)] {
            let email = all[3]["email"].as_str().expect("email");
            let reply = app
                .list(&format!("newsletter_id={ws}&email={email}&after={after}"))
                .await;
            reply.expect_status(200);
            assert_eq!(reply.json["total"], json!(1));
            assert_eq!(reply.json["data"].as_array().map(Vec::len), Some(found));
            assert_eq!(reply.json["next_after"], Value::Null);
        }
        // `page=1` is the default, so it may go with `after`.
        let reply = app
            .list(&format!("newsletter_id={ws}&page=1&after={first}"))
            .await;
        reply.expect_status(200);
        assert_eq!(
            ids(reply.json["data"].as_array().expect("data")),
            ids(&all[1..])
        );
        // Without `after` the answer is Notocat's, with no `next_after`.
        let reply = app.list(&format!("newsletter_id={ws}")).await;
        assert_eq!(reply.json.get("next_after"), None);
    }
);

backend_test!(a_cursor_that_does_not_fit_is_a_400, |app| async move {
    create_many(&app, 3, 3).await;
    let all = app.list_all().await;
    let ws = &app.workspace;
    let first = id_of(&all[0]).to_owned();
    let expect_400 = |reply: Reply, code: &str, field: &str| {
        reply.expect_status(400);
        assert_eq!(reply.json["code"], code, "{}", reply.text);
        assert_eq!(reply.json["field"], field, "{}", reply.text);
    };
    let both = app
        .list(&format!("newsletter_id={ws}&page=2&after={first}"))
        .await;
    expect_400(both, "invalid_parameter", "page");
    let both = app.list(&format!("newsletter_id={ws}&page=2&after=")).await;
    expect_400(both, "invalid_parameter", "page");
    for bad in ["con_short", "wks_D6zCfeVDaAAT-b9dl9SIE", "12.con_x", "%00"] {
        let reply = app.list(&format!("newsletter_id={ws}&after={bad}")).await;
        expect_400(reply, "invalid_parameter", "after");
    }
    // Well formed, but no contact of this workspace: never was, deleted since, or another
    // workspace's (which the answer does not tell apart).
    let unknown = "con_D6zCfeVDaAAT-b9dl9SIE";
    let reply = app
        .list(&format!("newsletter_id={ws}&after={unknown}"))
        .await;
    expect_400(reply, "invalid_cursor", "after");
    app.delete(&format!("/v1/contacts/{first}"))
        .await
        .expect_status(204);
    let reply = app.list(&format!("newsletter_id={ws}&after={first}")).await;
    expect_400(reply, "invalid_cursor", "after");
    let other = app.create_workspace().await;
    let theirs = app
        .bulk(&json!({"newsletter_id": other, "contacts": [{"email": "o@example.com"}]}))
        .await;
    theirs.expect_status(200);
    let theirs = theirs.json["results"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let reply = app
        .list(&format!("newsletter_id={ws}&after={theirs}"))
        .await;
    expect_400(reply, "invalid_cursor", "after");
    let reply = app
        .list(&format!("newsletter_id={other}&after={theirs}"))
        .await;
    reply.expect_status(200);
    assert_eq!(reply.json["data"], json!([]));
    assert_eq!(reply.json["total"], json!(1));
});
