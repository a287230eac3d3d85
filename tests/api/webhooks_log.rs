//! The deliveries log read back through the API, whichever way the backend stores it
//! (SQLite packs the attempts of a page answered alike into one row,
//! `store::webhooks::runs`): every attempt the receiver saw, once, newest first, the same
//! when read in small pages with `before` as in one.

use crate::helpers::*;
use crate::webhook_receiver::{Receiver, feed_arrives_in_order};
use crate::webhooks_delivery::quick_retries;
use reqwest::Method;
use serde_json::{Value, json};

/// The whole log of endpoint `id`, newest first, read `limit` at a time.
async fn read_log(app: &TestApp, id: &str, limit: usize) -> Vec<Value> {
    let mut entries: Vec<Value> = Vec::new();
    loop {
        let before = entries
            .last()
            .map(|e| format!("&before={}", e["id"].as_str().expect("id")))
            .unwrap_or_default();
        let path = format!("/v1/webhooks/{id}/deliveries?limit={limit}{before}");
        let page = send(app.req(Method::GET, &path)).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let data = page.json["data"].as_array().expect("data").clone();
        assert!(data.len() <= limit, "{}", page.text);
        if data.is_empty() {
            return entries;
        }
        entries.extend(data);
    }
}

backend_test!(
    the_log_holds_every_attempt_once_newest_first_in_any_page_size,
    config = quick_retries("0s,100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms,100ms"),
    |app| async move {
        let receiver = Receiver::start().await;
        let hook = app.create_webhook(&receiver.url("/log"), json!({})).await;
        let id = hook["id"].as_str().expect("id").to_owned();
        // A page accepted alike, a refused stretch, then more accepted: runs and single rows.
        let emails = |from: usize, to: usize| {
            (from..to)
                .map(|i| json!({"email": format!("log{i}@x.example")}))
                .collect::<Vec<_>>()
        };
        app.upsert(json!(emails(0, 60))).await;
        feed_arrives_in_order(&app, &receiver).await;
        receiver.answer(503);
        app.upsert(json!(emails(60, 61))).await;
        receiver
            .wait_until("two refused attempts", |got| {
                got.iter().filter(|r| r.answered == 503).count() >= 2
            })
            .await;
        receiver.answer(200);
        app.upsert(json!(emails(61, 90))).await;
        let (feed, _) = feed_arrives_in_order(&app, &receiver).await;
        assert_eq!(feed.len(), 90);

        // The log trails the receiver by a page at most: wait until it holds every request.
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        let whole = loop {
            let whole = read_log(&app, &id, 250).await;
            if whole.len() >= receiver.all().len() {
                break whole;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "log {} of {}",
                whole.len(),
                receiver.all().len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        };
        let got = receiver.all();
        // Oldest first, the log is what the receiver saw, attempt by attempt.
        let logged: Vec<(String, u64, String)> = whole
            .iter()
            .rev()
            .map(|e| {
                assert_eq!(e["message_id"], e["event_id"], "{e}");
                assert_eq!(e["error"].is_null(), e["status_code"] == 200, "{e}");
                (
                    e["message_id"].as_str().expect("message_id").to_owned(),
                    e["status_code"].as_u64().expect("status"),
                    e["type"].as_str().expect("type").to_owned(),
                )
            })
            .collect();
        let seen: Vec<(String, u64, String)> = got
            .iter()
            .map(|r| {
                let t = r.json()["type"].as_str().expect("type").to_owned();
                (r.id.clone(), u64::from(r.answered), t)
            })
            .collect();
        assert_eq!(logged, seen);
        let refused: Vec<u64> = whole
            .iter()
            .rev()
            .filter(|e| e["status_code"] == 503)
            .map(|e| e["attempt"].as_u64().expect("attempt"))
            .collect();
        assert!(
            refused.len() >= 2 && refused.windows(2).all(|w| w[1] == w[0] + 1),
            "{refused:?}"
        );
        // Ids are the log's order, newest first, one per attempt.
        let ids: Vec<i64> = whole
            .iter()
            .map(|e| e["id"].as_str().expect("id").parse().expect("numeric id"))
            .collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
        // Small pages, whose `before` falls inside a page of attempts, read the same log.
        for limit in [1, 7, 50] {
            assert_eq!(read_log(&app, &id, limit).await, whole, "limit {limit}");
        }
    }
);
