//! Concurrent writes end as if they ran one after another (reliability.md §5): many clients
//! on one contact leave exactly one writer's values, and overlapping bulk upserts leave a
//! state some serial order of the requests would give.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

backend_test!(
    many_clients_putting_one_contact_leave_exactly_one_writers_values,
    |app| async move {
        let contact = app.new_contact(json!({"email": "hot@example.com"})).await;
        let id = id_of(&contact).to_owned();
        let mut tasks = tokio::task::JoinSet::new();
        for writer in 0..32 {
            let request = app
                .req(Method::PUT, &format!("/v1/contacts/{id}"))
                .json(&json!({
                    "email": format!("hot{writer}@example.com"),
                    "name": format!("writer {writer}"),
                    "first_name": format!("first {writer}"),
                    "subscribed": writer % 2 == 0,
                    "custom_fields": {"writer": writer, format!("only{writer}"): true}
                }));
            tasks.spawn(send(request));
        }
        while let Some(reply) = tasks.join_next().await {
            reply.expect("task").expect_status(200);
        }
        let all = app.list_all().await;
        assert_eq!(all.len(), 1, "no write made a second contact");
        let last = &all[0];
        let writer = last["custom_fields"]["writer"].as_u64().expect("writer") as usize;
        assert_eq!(last["email"], json!(format!("hot{writer}@example.com")));
        assert_eq!(last["name"], json!(format!("writer {writer}")));
        assert_eq!(last["first_name"], json!(format!("first {writer}")));
        assert_eq!(last["subscribed"], json!(writer.is_multiple_of(2)));
        // custom_fields merge: every writer's own key survives, as a serial run would leave.
        let fields = last["custom_fields"].as_object().expect("custom_fields");
        for w in 0..32 {
            assert_eq!(
                fields.get(&format!("only{w}")),
                Some(&json!(true)),
                "{fields:?}"
            );
        }
    }
);

/// Request `r` of `n` writes the emails whose bit `r` is set in their number, so every pair
/// of requests shares some emails and no two requests write the same set.
fn emails_of(request: usize, pool: usize) -> Vec<String> {
    (0..pool)
        .filter(|e| (e >> (request % 6)) & 1 == 1 || e % 8 == request % 8)
        .map(|e| format!("pool{e}@example.com"))
        .collect()
}

/// Whether "request a wrote before request b" edges admit a serial order (no cycle).
fn has_serial_order(requests: usize, edges: &HashSet<(usize, usize)>) -> bool {
    let mut incoming = vec![0; requests];
    for &(_, b) in edges {
        incoming[b] += 1;
    }
    let mut ready: Vec<usize> = (0..requests).filter(|&r| incoming[r] == 0).collect();
    let mut done = 0;
    while let Some(r) = ready.pop() {
        done += 1;
        for &(a, b) in edges {
            if a == r {
                incoming[b] -= 1;
                if incoming[b] == 0 {
                    ready.push(b);
                }
            }
        }
    }
    done == requests
}

backend_test!(
    overlapping_bulk_upserts_leave_the_state_of_some_serial_order,
    |app| async move {
        const REQUESTS: usize = 12;
        const POOL: usize = 64;
        let mut tasks = tokio::task::JoinSet::new();
        for r in 0..REQUESTS {
            let mut contacts: Vec<Value> = emails_of(r, POOL)
                .into_iter()
                .map(|e| json!({"email": e, "name": format!("r{r}"), "custom_fields": {"r": r}}))
                .collect();
            // Each request names its emails in its own order, so lock order differs.
            let turn = r * 7 % contacts.len();
            contacts.rotate_left(turn);
            let request = app.req(Method::POST, "/v1/contacts").json(&json!({
                "newsletter_id": app.workspace,
                "contacts": contacts
            }));
            tasks.spawn(send(request));
        }
        while let Some(reply) = tasks.join_next().await {
            reply.expect("task").expect_status(200);
        }
        let all = app.list_all().await;
        let by_email: HashMap<String, &Value> = all
            .iter()
            .map(|c| (c["email"].as_str().expect("email").to_owned(), c))
            .collect();
        assert_eq!(by_email.len(), all.len(), "no email twice");
        let written: HashSet<String> = (0..REQUESTS).flat_map(|r| emails_of(r, POOL)).collect();
        assert_eq!(by_email.keys().cloned().collect::<HashSet<_>>(), written);
        // The last writer of each email must come after every other request that wrote it.
        let mut edges = HashSet::new();
        for r in 0..REQUESTS {
            for email in emails_of(r, POOL) {
                let contact = by_email[&email];
                let last = contact["custom_fields"]["r"].as_u64().expect("r") as usize;
                assert_eq!(
                    contact["name"],
                    json!(format!("r{last}")),
                    "one request's values whole"
                );
                assert!(
                    emails_of(last, POOL).contains(&email),
                    "{email} by a request that did not write it"
                );
                if last != r {
                    edges.insert((r, last));
                }
            }
        }
        assert!(
            has_serial_order(REQUESTS, &edges),
            "no serial order of the requests leaves this state: {edges:?}"
        );
    }
);

#[test]
fn the_serial_order_check_catches_a_cycle() {
    let cycle: HashSet<(usize, usize)> = [(0, 1), (1, 2), (2, 0)].into();
    assert!(!has_serial_order(3, &cycle));
    let chain: HashSet<(usize, usize)> = [(0, 1), (1, 2)].into();
    assert!(has_serial_order(3, &chain));
}
