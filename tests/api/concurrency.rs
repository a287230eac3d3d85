//! Overlapping requests (reliability.md §5): two contacts of a workspace never share an email.

use crate::helpers::*;
use reqwest::Method;
use serde_json::json;
use std::collections::HashSet;

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
