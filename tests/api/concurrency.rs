//! Overlapping requests (reliability.md §5): two contacts of a workspace never share an email.

use crate::helpers::*;
use reqwest::Method;
use serde_json::Value;
use serde_json::json;
use std::collections::{HashMap, HashSet};

backend_test!(
    overlapping_bulk_upserts_with_shared_emails_make_no_duplicates,
    |app| async move {
        let mut tasks = tokio::task::JoinSet::new();
        for round in 0..16 {
            let request = app.req(Method::POST, "/v1/contacts").json(&json!({
                "newsletter_id": app.workspace,
                "contacts": (0..50)
                    .map(|i| json!({"email": format!("Shared{i}@Example.com"), "name": format!("round {round}")}))
                    .collect::<Vec<_>>()
            }));
            tasks.spawn(send(request));
        }
        while let Some(reply) = tasks.join_next().await {
            reply.expect("task").expect_status(200);
        }
        let all = app.list_all().await;
        let emails: HashSet<String> = all
            .iter()
            .map(|c| c["email"].as_str().expect("email").to_lowercase())
            .collect();
        assert_eq!((all.len(), emails.len()), (50, 50));
        let names: HashSet<&str> = all
            .iter()
            .map(|c| c["name"].as_str().expect("name"))
            .collect();
        assert_eq!(names.len(), 1, "each request applied whole: {names:?}");
    }
);

backend_test!(
    concurrent_email_changes_to_one_address_let_exactly_one_win,
    |app| async move {
        let ids: Vec<String> = app
            .upsert(serde_json::Value::Array(
                (0..10)
                    .map(|i| json!({"email": format!("c{i}@example.com")}))
                    .collect(),
            ))
            .await["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect();
        let mut tasks = tokio::task::JoinSet::new();
        for id in &ids {
            let request = app
                .req(Method::PUT, &format!("/v1/contacts/{id}"))
                .json(&json!({"email": "wanted@example.com"}));
            tasks.spawn(send(request));
        }
        let mut statuses = Vec::new();
        while let Some(reply) = tasks.join_next().await {
            let reply = reply.expect("task");
            if reply.status == 409 {
                assert_eq!(reply.code(), "email_taken");
            }
            statuses.push(reply.status);
        }
        statuses.sort();
        assert_eq!(statuses, [200, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
        let found = app
            .list(&format!(
                "newsletter_id={}&email=wanted@example.com",
                app.workspace
            ))
            .await;
        assert_eq!(found.json["total"], json!(1));
    }
);

backend_test!(
    concurrent_puts_that_fail_fail_alone_and_the_rest_apply,
    |app| async move {
        // Writes that arrive together share a group commit (SQLite's writer) or a batch
        // (PostgreSQL's): the ones a rule refuses must change nothing, and must not stop
        // the others, whatever their place in the group.
        let emails: Vec<String> = (0..18).map(|i| format!("c{i}@example.com")).collect();
        let created = app
            .upsert(emails.iter().map(|e| json!({"email": e})).collect())
            .await;
        let ids: Vec<String> = created["results"]
            .as_array()
            .expect("results")
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect();
        // (contact id, body, If-Match, expected status, expected code)
        let mut plan: Vec<(String, Value, Option<&str>, u16, &str)> = Vec::new();
        // A PUT of contact `i` with the email of contact `email_of` and `name` (if any).
        let mut put = |i: usize, email_of: usize, name: Option<String>, if_match, status, code| {
            let mut body = json!({"email": emails[email_of]});
            if let Some(name) = name {
                body["name"] = json!(name);
            }
            plan.push((ids[i].clone(), body, if_match, status, code));
        };
        for i in 0..6 {
            put(i, i, Some(format!("renamed {i}")), None, 200, "");
        }
        for i in 6..9 {
            put(i, i, Some("matched".into()), Some("\"1\""), 200, "");
        }
        for i in 9..12 {
            let stale = Some("\"5\"");
            put(
                i,
                i,
                Some("stale".into()),
                stale,
                412,
                "precondition_failed",
            );
        }
        for i in 12..15 {
            put(i, 0, Some("thief".into()), None, 409, "email_taken");
        }
        put(15, 15, Some("twice a".into()), None, 200, "");
        put(15, 15, Some("twice b".into()), None, 200, "");
        put(17, 17, None, None, 200, "");
        plan.push((
            ids[16].clone(),
            json!({"email": "moved16@example.com"}),
            None,
            200,
            "",
        ));
        let unknown = "con_AAAAAAAAAAAAAAAAAAAAA".to_owned();
        plan.push((
            unknown,
            json!({"email": "x@example.com"}),
            None,
            404,
            "contact_not_found",
        ));

        let mut tasks = tokio::task::JoinSet::new();
        for (n, (id, body, if_match, _, _)) in plan.iter().enumerate() {
            let mut request = app
                .req(Method::PUT, &format!("/v1/contacts/{id}"))
                .json(body);
            if let Some(tag) = if_match {
                request = request.header("If-Match", *tag);
            }
            tasks.spawn(async move { (n, send(request).await) });
        }
        let mut answers: Vec<Option<Reply>> = (0..plan.len()).map(|_| None).collect();
        while let Some(done) = tasks.join_next().await {
            let (n, reply) = done.expect("task");
            answers[n] = Some(reply);
        }
        for (n, (id, _, _, status, code)) in plan.iter().enumerate() {
            let reply = answers[n].as_ref().expect("answered");
            assert_eq!(reply.status, *status, "write {n} to {id}: {}", reply.text);
            if *status != 200 {
                assert_eq!(reply.code(), *code, "write {n}");
            }
        }

        let by_id: HashMap<String, Value> = app
            .list_all()
            .await
            .into_iter()
            .map(|c| (id_of(&c).to_owned(), c))
            .collect();
        let name = |i: usize| by_id[&ids[i]]["name"].as_str().expect("name").to_owned();
        for i in 0..6 {
            assert_eq!(name(i), format!("renamed {i}"));
        }
        for i in 6..9 {
            assert_eq!(name(i), "matched");
        }
        for i in 9..15 {
            let email = by_id[&ids[i]]["email"].clone();
            assert_eq!((name(i), email), (String::new(), json!(emails[i])));
        }
        assert!(["twice a", "twice b"].contains(&name(15).as_str()));
        assert_eq!(by_id[&ids[16]]["email"], json!("moved16@example.com"));
        let untouched = &by_id[&ids[17]];
        assert_eq!(
            untouched["updatedAt"], untouched["createdAt"],
            "a no-op PUT changes nothing"
        );
        assert_eq!(by_id.len(), 18, "nothing created");

        // The feed: one `updated` event per write that changed something, none for the rest.
        let feed = send(app.req(
            Method::GET,
            &format!("/v1/events?newsletter_id={}&limit=1000", app.workspace),
        ))
        .await;
        feed.expect_status(200);
        let mut updates = HashMap::<String, usize>::new();
        for event in feed.json["data"].as_array().expect("data") {
            if event["type"] == "updated" {
                let contact = event["contact_id"].as_str().expect("contact").to_owned();
                *updates.entry(contact).or_default() += 1;
            }
        }
        let expected: HashMap<String, usize> = (0..9)
            .map(|i| (ids[i].clone(), 1))
            .chain([(ids[15].clone(), 2), (ids[16].clone(), 1)])
            .collect();
        assert_eq!(updates, expected);
    }
);
