//! The feed's cursor under concurrent writers: a reader paging while others write sees
//! every event exactly once, in the order of the final full read.

use crate::events::{all_events, feed_as};
use reqwest::Method;
use serde_json::json;

const WRITERS: usize = 6;
const WRITES_EACH: usize = 20;

backend_test!(
    paging_during_concurrent_writes_never_skips_or_repeats,
    |app| async move {
        let seed = app
            .upsert(json!(
                (0..WRITERS)
                    .map(|i| json!({"email": format!("w{i}@example.com")}))
                    .collect::<Vec<_>>()
            ))
            .await;
        let mut writers = Vec::new();
        for w in 0..WRITERS {
            let id = seed["results"][w]["id"].as_str().expect("id").to_owned();
            let put = app.req(Method::PUT, &format!("/v1/contacts/{id}"));
            let bulk = app.req(Method::POST, "/v1/contacts");
            let workspace = app.workspace.clone();
            writers.push(tokio::spawn(async move {
                for n in 0..WRITES_EACH {
                    let reply = if n % 2 == 0 {
                        put.try_clone()
                            .expect("clone")
                            .json(&json!({"email": format!("w{w}@example.com"), "name": format!("{n}")}))
                            .send()
                            .await
                    } else {
                        bulk.try_clone()
                            .expect("clone")
                            .json(&json!({"newsletter_id": workspace,
                                "contacts": [{"email": format!("w{w}-{n}@example.com")}]}))
                            .send()
                            .await
                    };
                    assert_eq!(reply.expect("write").status().as_u16(), 200);
                }
            }));
        }
        // Page with a small limit while the writers run, then until caught up.
        let mut seen: Vec<String> = Vec::new();
        let mut after = String::new();
        let mut caught_up_after_writers = false;
        while !caught_up_after_writers {
            let writers_done = writers.iter().all(|w| w.is_finished());
            let reply = feed_as(
                &app,
                &app.api_key,
                &format!("newsletter_id={}&limit=7&after={after}", app.workspace),
            )
            .await;
            reply.expect_status(200);
            for e in reply.json["data"].as_array().expect("data") {
                seen.push(e["id"].as_str().expect("id").to_owned());
            }
            after = reply.json["next_cursor"]
                .as_str()
                .expect("cursor")
                .to_owned();
            caught_up_after_writers = writers_done && reply.json["has_more"] == json!(false);
        }
        for w in writers {
            w.await.expect("writer");
        }
        let full: Vec<String> = all_events(&app, None)
            .await
            .iter()
            .map(|e| e["id"].as_str().expect("id").to_owned())
            .collect();
        assert_eq!(full.len(), WRITERS + WRITERS * WRITES_EACH);
        assert_eq!(seen, full, "the paging reader saw a different sequence");
    }
);
