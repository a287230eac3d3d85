//! The dashboard's workspace, contact and key pages through a signed-in browser, each
//! effect checked through the API: the same rules as the API, and the feed names the
//! dashboard and the signed-in key.

use crate::dashboard_browser::Browser;
use crate::helpers::*;
use regex::Regex;
use reqwest::Method;
use serde_json::{Value, json};

async fn by_email(app: &TestApp, email: &str) -> Value {
    let reply = app
        .list(&format!("newsletter_id={}&email={email}", app.workspace))
        .await;
    reply.expect_status(200);
    reply.json["data"][0].clone()
}

async fn feed(app: &TestApp) -> Vec<Value> {
    let reply = send(app.req(
        Method::GET,
        &format!("/v1/events?newsletter_id={}&limit=1000", app.workspace),
    ))
    .await;
    reply.expect_status(200);
    reply.json["data"].as_array().expect("data").clone()
}

backend_test!(
    a_contact_is_added_found_edited_unsubscribed_resubscribed_and_deleted,
    |app| async move {
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let contacts = format!("/admin/w/{}/contacts", app.workspace);
        let added = browser
            .post(
                &contacts,
                &[
                    ("email", "Noto@Example.com"),
                    ("name", "Noto"),
                    ("new_cf_key", "plan"),
                    ("new_cf_value", "pro"),
                ],
            )
            .await;
        let page_path = added.location().split('?').next().expect("path").to_owned();
        let stored = by_email(&app, "noto@example.com").await;
        assert_eq!(stored["name"], "Noto");
        assert_eq!(stored["custom_fields"], json!({"plan": "pro"}));
        assert_eq!(page_path, format!("{contacts}/{}", id_of(&stored)));
        let id = id_of(&stored).to_owned();

        for query in ["q=noto", "q=NOTO%40example.com", "q=Noto&subscribed=yes"] {
            let found = browser.get(&format!("{contacts}?{query}")).await;
            assert!(
                found.text.contains("Noto@Example.com"),
                "{query}: {}",
                found.text
            );
        }
        for query in ["q=nobody", "subscribed=no"] {
            let found = browser.get(&format!("{contacts}?{query}")).await;
            assert!(!found.text.contains("Noto@Example.com"), "{query}");
        }

        let page = browser.get(&page_path).await;
        assert_eq!(page.status, 200);
        assert!(page.text.contains("pro") && page.text.contains(&id));
        let version = stored["version"].to_string();
        let saved = browser
            .post(
                &page_path,
                &[
                    ("version", version.as_str()),
                    ("email", "noto@example.com"),
                    ("name", "Noto Cat"),
                    ("first_name", "Noto"),
                    ("last_name", "Cat"),
                    ("cf_key", "plan"),
                    ("cf_value", "max"),
                    ("new_cf_key", "city"),
                    ("new_cf_value", "Oslo"),
                ],
            )
            .await;
        assert!(saved.location().ends_with("?done=saved"));
        let edited = app.get_contact(&id).await.json;
        assert_eq!(edited["name"], "Noto Cat");
        assert_eq!(edited["last_name"], "Cat");
        assert_eq!(
            edited["custom_fields"],
            json!({"plan": "max", "city": "Oslo"})
        );

        browser
            .post(&format!("{page_path}/unsubscribe"), &[])
            .await
            .location();
        assert_eq!(app.get_contact(&id).await.json["subscribed"], false);
        let unsubscribed = browser.get(&format!("{contacts}?subscribed=no")).await;
        assert!(unsubscribed.text.contains("noto@example.com"));
        browser
            .post(&format!("{page_path}/resubscribe"), &[])
            .await
            .location();
        assert_eq!(app.get_contact(&id).await.json["subscribed"], true);

        let history = browser.get(&page_path).await;
        for kind in ["created", "updated", "unsubscribed", "resubscribed"] {
            assert!(history.text.contains(kind), "{kind}: {}", history.text);
        }
        let confirm = browser.get(&format!("{page_path}/delete")).await;
        assert_eq!(confirm.status, 200);
        assert!(confirm.text.contains("Delete contact"));
        assert_eq!(
            app.get_contact(&id).await.status,
            200,
            "asking deletes nothing"
        );
        let deleted = browser.post(&format!("{page_path}/delete"), &[]).await;
        assert!(deleted.location().starts_with(&contacts));
        assert_eq!(app.get_contact(&id).await.status, 404);

        let events = feed(&app).await;
        let kinds: Vec<&str> = events
            .iter()
            .map(|e| e["type"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            kinds,
            [
                "created",
                "updated",
                "unsubscribed",
                "resubscribed",
                "deleted"
            ]
        );
        let key_id = app.store.list_api_keys().await.expect("keys")[0]
            .id
            .to_string();
        for event in &events {
            assert_eq!(
                event["actor"],
                json!({"type": "dashboard", "id": key_id}),
                "{event}"
            );
        }

        let overview = format!("/admin/w/{}", app.workspace);
        let chart = browser.get(&overview).await;
        assert!(
            chart
                .text
                .contains("2 gained and 2 lost over the last 30 days"),
            "created + resubscribed, unsubscribed + deleted: {}",
            chart.text
        );
        for (period, buckets) in [("week", "12 weeks"), ("month", "12 months")] {
            let page = browser.get(&format!("{overview}?period={period}")).await;
            assert!(
                page.text
                    .contains(&format!("2 gained and 2 lost over the last {buckets}")),
                "{}",
                page.text
            );
        }
        let csv = browser
            .get(&format!("{overview}/export/contacts.csv"))
            .await;
        assert_eq!(csv.status, 200);
        assert!(csv.header("content-type").starts_with("text/csv"));
        assert!(csv.header("content-disposition").starts_with("attachment"));
        assert_eq!(
            browser
                .get(&format!("{overview}/export/contacts.xlsx"))
                .await
                .status,
            404
        );
    }
);

backend_test!(
    a_bad_edit_is_shown_next_to_its_field_and_changes_nothing,
    |app| async move {
        let contact = app
            .new_contact(json!({"email": "e@example.com", "name": "E"}))
            .await;
        let id = id_of(&contact);
        let other = app.new_contact(json!({"email": "taken@example.com"})).await;
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let path = format!("/admin/w/{}/contacts/{id}", app.workspace);
        let version = contact["version"].to_string();
        let field_error = Regex::new(
            r#"id="email" name="email" type="email" value="[^"]*" required aria-invalid="true" aria-describedby="email-error""#,
        )
        .expect("regex");

        let bad = browser
            .post(
                &path,
                &[
                    ("version", version.as_str()),
                    ("email", "not an email"),
                    ("name", "Changed"),
                ],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(field_error.is_match(&bad.text), "{}", bad.text);
        assert!(
            bad.text.contains(r#"value="not an email""#),
            "what was typed stays"
        );
        let taken = browser
            .post(
                &path,
                &[
                    ("version", version.as_str()),
                    ("email", "taken@example.com"),
                ],
            )
            .await;
        assert_eq!(taken.status, 422);
        assert!(
            taken.text.contains("already has this email"),
            "{}",
            taken.text
        );
        let long = "n".repeat(300);
        let too_long = browser
            .post(
                &path,
                &[
                    ("version", version.as_str()),
                    ("email", "e@example.com"),
                    ("name", long.as_str()),
                ],
            )
            .await;
        assert_eq!(too_long.status, 422);
        assert!(
            too_long.text.contains(r#"id="name-error""#),
            "{}",
            too_long.text
        );
        let stale = browser
            .post(
                &path,
                &[
                    ("version", "999"),
                    ("email", "e@example.com"),
                    ("name", "Stale"),
                ],
            )
            .await;
        assert_eq!(stale.status, 422);
        assert!(
            stale.text.contains("changed since you opened it"),
            "{}",
            stale.text
        );

        let now = app.get_contact(id).await.json;
        assert_eq!(now, contact, "nothing changed");
        assert_eq!(app.get_contact(id_of(&other)).await.json, other);

        let dup = browser
            .post(
                &format!("/admin/w/{}/contacts", app.workspace),
                &[("email", "E@example.com")],
            )
            .await;
        assert_eq!(dup.status, 422);
        assert!(
            dup.text.contains("is in this workspace already"),
            "{}",
            dup.text
        );
        assert_eq!(app.list_all().await.len(), 2);
    }
);

backend_test!(
    keyset_pages_show_every_contact_once_newest_first,
    |app| async move {
        let contacts: Vec<Value> = (0..120)
            .map(|i| json!({"email": format!("p{i:03}@example.com")}))
            .collect();
        app.upsert(Value::Array(contacts)).await;
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let base = format!("/admin/w/{}/contacts", app.workspace);
        let row = Regex::new(r"(p\d{3})@example\.com").expect("regex");
        let mut seen = Vec::new();
        let mut next = Some(base.clone());
        let mut pages = 0;
        while let Some(path) = next {
            let page = browser.get(&path).await;
            assert_eq!(page.status, 200);
            seen.extend(row.captures_iter(&page.text).map(|c| c[1].to_owned()));
            next = page.links().into_iter().find(|l| l.contains("before="));
            pages += 1;
            assert!(pages < 10, "the pages end");
        }
        assert_eq!(pages, 3);
        let mut expected: Vec<String> = app
            .list_all()
            .await
            .iter()
            .map(|c| {
                c["email"]
                    .as_str()
                    .unwrap_or("")
                    .trim_end_matches("@example.com")
                    .to_owned()
            })
            .collect();
        expected.reverse();
        assert_eq!(seen, expected);
    }
);

backend_test!(
    workspaces_are_created_and_renamed_with_errors_in_words,
    |app| async move {
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let blank = browser.post("/admin/workspaces", &[("name", "   ")]).await;
        assert_eq!(blank.status, 422);
        assert!(blank.text.contains(r#"id="name-error""#));
        let created = browser
            .post("/admin/workspaces", &[("name", "Cat <Facts>")])
            .await;
        let path = created
            .location()
            .split('?')
            .next()
            .expect("path")
            .to_owned();
        let id = path.trim_start_matches("/admin/w/").to_owned();
        let overview = browser.get(&path).await;
        assert_eq!(overview.status, 200);
        assert!(
            overview.text.contains("Cat &lt;Facts&gt;"),
            "{}",
            overview.text
        );
        let renamed = browser
            .post(&format!("{path}/rename"), &[("name", "Dog Facts")])
            .await;
        assert!(renamed.location().ends_with("done=renamed"));
        let names: Vec<(String, String)> = app
            .store
            .list_workspaces()
            .await
            .expect("list")
            .into_iter()
            .map(|w| (w.id.to_string(), w.name))
            .collect();
        assert!(names.contains(&(id, "Dog Facts".to_owned())), "{names:?}");
    }
);

backend_test!(
    a_key_is_created_with_its_secret_shown_once_and_revoked,
    |app| async move {
        let browser = Browser::signed_in(&app, &app.api_key).await;
        let created = browser
            .post(
                "/admin/keys",
                &[
                    ("name", "signup form"),
                    ("workspace", app.workspace.as_str()),
                    ("read_only", "yes"),
                ],
            )
            .await;
        assert_eq!(created.status, 200, "{}", created.text);
        assert_eq!(created.header("cache-control"), "no-store");
        let secret = Regex::new(r#"value="(purr_[A-Za-z0-9_-]+)""#)
            .expect("regex")
            .captures(&created.text)
            .map(|c| c[1].to_owned())
            .expect("the secret on the page");
        let read = send(app.req_as(
            &secret,
            Method::GET,
            &format!("/v1/contacts?newsletter_id={}", app.workspace),
        ))
        .await;
        read.expect_status(200);
        let write = send(app.req_as(&secret, Method::POST, "/v1/contacts").json(
            &json!({"newsletter_id": app.workspace, "contacts": [{"email": "a@example.com"}]}),
        ))
        .await;
        write.expect_status(403);
        let other = app.create_workspace().await;
        let elsewhere = send(app.req_as(
            &secret,
            Method::GET,
            &format!("/v1/contacts?newsletter_id={other}"),
        ))
        .await;
        elsewhere.expect_status(403);

        let list = browser.get("/admin/keys").await;
        assert!(list.text.contains("signup form"));
        assert!(!list.text.contains(&secret), "shown once only");
        let key = app
            .store
            .list_api_keys()
            .await
            .expect("keys")
            .into_iter()
            .find(|k| k.name == "signup form")
            .expect("the key");
        let revoked = browser
            .post(&format!("/admin/keys/{}/revoke", key.id), &[])
            .await;
        assert!(revoked.location().ends_with("done=revoked"));
        let refused = send(app.req_as(
            &secret,
            Method::GET,
            &format!("/v1/contacts?newsletter_id={}", app.workspace),
        ))
        .await;
        refused.expect_status(401);
        let bad = browser
            .post("/admin/keys", &[("name", ""), ("workspace", "all")])
            .await;
        assert_eq!(bad.status, 422);
        assert!(bad.text.contains(r#"id="name-error""#));
    }
);
