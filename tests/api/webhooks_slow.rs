//! One receiver that never answers holds up only its own endpoint: another endpoint of the
//! same workspace gets every event, in order, while the first one's requests hang (each
//! endpoint has its own worker, docs/webhooks.md "Capacity").

use crate::webhook_receiver::{Receiver, feed_arrives_in_order};
use crate::webhooks_api::allowing_private;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

backend_test!(
    a_receiver_that_never_answers_does_not_hold_up_another_endpoint,
    config = allowing_private(),
    |app| async move {
        // Accepts connections, reads nothing, answers nothing, and keeps them open.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let hanging = format!("http://{}/hang", listener.local_addr().expect("addr"));
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&connections);
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                held.push(socket);
            }
        });
        app.create_webhook(&hanging, json!({})).await;
        let receiver = Receiver::start().await;
        app.create_webhook(&receiver.url("/fine"), json!({})).await;
        for i in 0..5 {
            app.upsert(json!([{"email": format!("slow{i}@x.example")}]))
                .await;
        }
        // The hanging endpoint is tried (its first event's request never gets an answer)...
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
        while connections.load(Ordering::SeqCst) == 0 {
            assert!(tokio::time::Instant::now() < deadline, "never tried");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        // ...and the other endpoint still gets every event, each once, in feed order.
        let (feed, _) = feed_arrives_in_order(&app, &receiver).await;
        assert_eq!(feed.len(), 5);
    }
);
