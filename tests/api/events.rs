//! The change feed and consent record, `GET /v1/events` (api.md §4).

use crate::helpers::*;
use crate::unsubscribe::{one_click, open_page, press_resubscribe, press_unsubscribe, token_of};
use purrlist::domain::api_key::WorkspaceGrant;
use purrlist::domain::bulk::parse_bulk_item;
use purrlist::domain::events::Actor;
use purrlist::domain::ids::WorkspaceId;
use purrlist::domain::timestamp::Timestamp;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// `GET /v1/events?{query}` with `key`.
pub async fn feed_as(app: &TestApp, key: &str, query: &str) -> Reply {
    send(app.req_as(key, Method::GET, &format!("/v1/events?{query}"))).await
}

/// Every event of the test workspace (of one contact, when given), walking the pages.
pub async fn all_events(app: &TestApp, contact: Option<&str>) -> Vec<Value> {
    let mut events = Vec::new();
    let mut after = String::new();
    let filter = contact.map_or(String::new(), |c| format!("&contact_id={c}"));
    loop {
        let reply = feed_as(
            app,
            &app.api_key,
            &format!(
                "newsletter_id={}&limit=1000&after={after}{filter}",
                app.workspace
            ),
        )
        .await;
        reply.expect_status(200);
        events.extend(reply.json["data"].as_array().expect("data").clone());
        after = reply.json["next_cursor"]
            .as_str()
            .expect("cursor")
            .to_owned();
        if !reply.json["has_more"].as_bool().expect("has_more") {
            return events;
        }
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["type"].as_str().expect("type"))
        .collect()
}

backend_test!(
    every_kind_of_change_is_recorded_with_old_and_new_values_and_the_key,
    |app| async move {
        let key = app.key(WorkspaceGrant::All, false).await;
        let put = |id: String, body: Value| {
            send(
                app.req_as(&key.secret, Method::PUT, &format!("/v1/contacts/{id}"))
                    .json(&body),
            )
        };
        let reply = send(app.req_as(&key.secret, Method::POST, "/v1/contacts").json(
            &json!({"newsletter_id": app.workspace, "contacts": [{"email": "a@example.com", "name": "A"}]}),
        ))
        .await;
        let id = reply.json["results"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        put(id.clone(), json!({"email": "a@example.com", "name": "B"}))
            .await
            .expect_status(200);
        put(
            id.clone(),
            json!({"email": "a@example.com", "subscribed": false}),
        )
        .await
        .expect_status(200);
        put(
            id.clone(),
            json!({"email": "A@example.com", "subscribed": true, "custom_fields": {"plan": "pro"}}),
        )
        .await
        .expect_status(200);
        send(app.req_as(&key.secret, Method::DELETE, &format!("/v1/contacts/{id}")))
            .await
            .expect_status(204);

        let events = all_events(&app, None).await;
        assert_eq!(
            types(&events),
            [
                "created",
                "updated",
                "unsubscribed",
                "resubscribed",
                "deleted"
            ]
        );
        let actor = json!({"type": "api_key", "id": key.id.as_str()});
        for e in &events {
            assert_eq!(e["actor"], actor);
            assert_eq!(e["contact_id"], json!(id));
            assert_eq!(e["workspace_id"], json!(app.workspace));
            assert!(e["createdAt"].as_str().expect("createdAt").ends_with('Z'));
        }
        assert_eq!(
            events[0]["changes"]["email"],
            json!({"old": null, "new": "a@example.com"})
        );
        assert_eq!(
            events[0]["changes"]["subscribed"],
            json!({"old": null, "new": true})
        );
        assert_eq!(
            events[1]["changes"],
            json!({"name": {"old": "A", "new": "B"}})
        );
        assert_eq!(
            events[2]["changes"],
            json!({"subscribed": {"old": true, "new": false}})
        );
        assert_eq!(
            events[3]["changes"],
            json!({
                "email": {"old": "a@example.com", "new": "A@example.com"},
                "subscribed": {"old": false, "new": true},
                "custom_fields": {"old": {}, "new": {"plan": "pro"}},
            })
        );
        assert_eq!(
            events[4]["changes"]["name"],
            json!({"old": "B", "new": null})
        );
        let ids: Vec<u64> = events
            .iter()
            .map(|e| {
                e["id"]
                    .as_str()
                    .expect("id")
                    .parse()
                    .expect("numeric cursor")
            })
            .collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    }
);

backend_test!(
    writes_that_change_nothing_leave_no_event,
    |app| async move {
        let c = app
            .new_contact(json!({"email": "n@example.com", "name": "N"}))
            .await;
        let before = all_events(&app, None).await;
        app.put_contact(id_of(&c), &json!({"email": "n@example.com", "name": "N"}))
            .await
            .expect_status(200);
        app.upsert(json!([{"email": "n@example.com", "name": "N"}]))
            .await;
        app.delete(&format!("/v1/contacts?newsletter_id={}", app.workspace))
            .await
            .expect_status(200);
        open_page(&app, token_of(&c)).await;
        press_resubscribe(&app, token_of(&c)).await;
        assert_eq!(all_events(&app, None).await, before);
    }
);

backend_test!(
    the_consent_history_of_a_contact_shows_when_and_how_it_changed,
    |app| async move {
        let c = app.new_contact(json!({"email": "c@example.com"})).await;
        let other = app.new_contact(json!({"email": "o@example.com"})).await;
        press_unsubscribe(&app, token_of(&c)).await;
        press_resubscribe(&app, token_of(&c)).await;
        one_click(&app, token_of(&c)).await;
        press_unsubscribe(&app, token_of(&other)).await;
        let history = all_events(&app, Some(id_of(&c))).await;
        assert_eq!(
            types(&history),
            ["created", "unsubscribed", "resubscribed", "unsubscribed"]
        );
        let link = json!({"type": "unsubscribe_link"});
        assert!(history[1..].iter().all(|e| e["actor"] == link));
        assert_eq!(history[0]["actor"]["type"], json!("api_key"));
        assert!(history.iter().all(|e| e["contact_id"] == c["id"]));
    }
);

backend_test!(
    bulk_delete_records_each_contact_it_deleted,
    |app| async move {
        let keep = app.new_contact(json!({"email": "keep@example.com"})).await;
        let gone = app
            .upsert(json!([
                {"email": "g1@example.com", "subscribed": false},
                {"email": "g2@example.com", "subscribed": false, "name": "G2"},
            ]))
            .await;
        let reply = app
            .delete(&format!("/v1/contacts?newsletter_id={}", app.workspace))
            .await;
        assert_eq!(reply.json["contacts_removed"], json!(2));
        let events = all_events(&app, None).await;
        let deleted: Vec<&Value> = events.iter().filter(|e| e["type"] == "deleted").collect();
        assert_eq!(deleted.len(), 2);
        // In list order: one bulk shares createdAt, so by id.
        let mut expected: Vec<&Value> = (0..2).map(|i| &gone["results"][i]["id"]).collect();
        expected.sort_by_key(|v| v.as_str().map(str::to_owned));
        let got: Vec<&Value> = deleted.iter().map(|e| &e["contact_id"]).collect();
        assert_eq!(got, expected);
        let g2 = deleted
            .iter()
            .find(|e| e["contact_id"] == gone["results"][1]["id"])
            .expect("g2 deleted");
        assert_eq!(g2["changes"]["name"], json!({"old": "G2", "new": null}));
        assert!(deleted.iter().all(|e| e["contact_id"] != keep["id"]));
    }
);

backend_test!(
    pages_follow_the_cursor_and_parameters_are_checked,
    |app| async move {
        app.upsert(json!(
            (0..5)
                .map(|i| json!({"email": format!("p{i}@example.com")}))
                .collect::<Vec<_>>()
        ))
        .await;
        let key = app.api_key.clone();
        let ws = app.workspace.clone();
        let first = feed_as(&app, &key, &format!("newsletter_id={ws}&limit=2")).await;
        first.expect_status(200);
        assert_eq!(first.json["data"].as_array().expect("data").len(), 2);
        assert_eq!(first.json["has_more"], json!(true));
        assert_eq!(first.json["next_cursor"], first.json["data"][1]["id"]);
        let cursor = first.json["next_cursor"].as_str().expect("cursor");
        let rest = feed_as(&app, &key, &format!("newsletter_id={ws}&after={cursor}")).await;
        assert_eq!(rest.json["data"].as_array().expect("data").len(), 3);
        assert_eq!(rest.json["has_more"], json!(false));
        let end = rest.json["next_cursor"].as_str().expect("cursor");
        let empty = feed_as(&app, &key, &format!("newsletter_id={ws}&after={end}")).await;
        assert_eq!(empty.json["data"], json!([]));
        assert_eq!(
            empty.json["next_cursor"],
            json!(end),
            "an empty page keeps the cursor"
        );

        for bad in [
            "after=abc",
            "after=-1",
            "limit=0",
            "limit=1001",
            "contact_id=nope",
        ] {
            feed_as(&app, &key, &format!("newsletter_id={ws}&{bad}"))
                .await
                .expect_error(400, "invalid_parameter");
        }
        feed_as(&app, &key, "")
            .await
            .expect_error(400, "missing_field");
        let other = app.create_workspace().await;
        let narrow = app.key_for(&[&other]).await;
        feed_as(&app, &narrow.secret, &format!("newsletter_id={ws}"))
            .await
            .expect_error(403, "forbidden");
        // A key for one workspace may leave newsletter_id out; it sees only its own feed.
        let sole = feed_as(&app, &narrow.secret, "").await;
        sole.expect_status(200);
        assert_eq!(sole.json["data"], json!([]));
        send(app.anonymous(Method::GET, "/v1/events"))
            .await
            .expect_error(401, "unauthorized");
    }
);

backend_test!(
    retention_prunes_old_events_and_zero_keeps_them,
    |app| async move {
        let workspace = WorkspaceId::parse(&app.workspace).expect("workspace");
        let old = Timestamp::from_millis(Timestamp::now().millis() - 3 * 86_400_000);
        let item = parse_bulk_item(&json!({"email": "old@example.com"})).expect("item");
        app.store
            .upsert_contacts(workspace, vec![item], old, Actor::Cli.into())
            .await
            .expect("seed an old write");
        app.new_contact(json!({"email": "new@example.com"})).await;
        let events = all_events(&app, None).await;
        assert_eq!(events[0]["actor"], json!({"type": "cli"}));
        assert_eq!(events.len(), 2);

        purrlist::app::prune_once(&*app.store, Duration::ZERO, Timestamp::now())
            .await
            .expect("prune");
        assert_eq!(all_events(&app, None).await.len(), 2, "0 keeps forever");
        purrlist::app::prune_once(
            &*app.store,
            Duration::from_secs(2 * 86_400),
            Timestamp::now(),
        )
        .await
        .expect("prune");
        let kept = all_events(&app, None).await;
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0]["changes"]["email"]["new"], json!("new@example.com"));
        assert_eq!(kept[0]["id"], events[1]["id"], "cursors survive pruning");
    }
);
