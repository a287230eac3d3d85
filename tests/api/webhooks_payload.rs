//! What a message says about a contact (api.md §6): the contact object right after the
//! change, and for a deletion its last state, every field included (`unsub_token`,
//! `createdAt`, `updatedAt`), even when the message is built after the contact is gone.

use crate::helpers::*;
use crate::webhook_receiver::{Receiver, accepted_ids};
use crate::webhooks_api::allowing_private;
use reqwest::Method;
use serde_json::{Value, json};

backend_test!(
    a_deleted_contact_arrives_with_its_last_state_unsub_token_included,
    config = allowing_private(),
    |app| async move {
        // Single delete: created, renamed, deleted, all before any message is built.
        let kept = app
            .new_contact(json!({"email": "gone@x.example", "name": "A"}))
            .await;
        let renamed = app
            .put_contact(
                id_of(&kept),
                &json!({"email": "gone@x.example", "name": "B"}),
            )
            .await;
        renamed.expect_status(200);
        app.delete(&format!("/v1/contacts/{}", id_of(&kept)))
            .await
            .expect_status(204);
        // Bulk delete (it removes unsubscribed contacts): another write path.
        let bulk = app
            .new_contact(json!({"email": "bulk@x.example", "subscribed": false}))
            .await;
        app.delete(&format!("/v1/contacts?newsletter_id={}", app.workspace))
            .await
            .expect_status(200);

        let receiver = Receiver::start().await;
        let hook = app.create_webhook(&receiver.url("/late"), json!({})).await;
        let id = hook["id"].as_str().expect("id");
        send(
            app.req(Method::POST, &format!("/v1/webhooks/{id}/replay"))
                .json(&json!({"after": "0"})),
        )
        .await
        .expect_status(202);
        let got = receiver
            .wait_until("five messages", |got| accepted_ids(got).len() >= 5)
            .await;
        let bodies: Vec<Value> = got.iter().map(|r| r.json()).collect();
        let of = |contact: &Value, kind: &str| -> Value {
            bodies
                .iter()
                .find(|b| b["type"] == kind && b["data"]["contact"]["id"] == contact["id"])
                .unwrap_or_else(|| panic!("{kind} of {}", contact["id"]))["data"]["contact"]
                .clone()
        };
        for kind in ["contact.created", "contact.updated", "contact.deleted"] {
            let c = of(&kept, kind);
            assert_eq!(c["unsub_token"], kept["unsub_token"], "{kind}: {c}");
            assert_eq!(c["createdAt"], kept["createdAt"], "{kind}: {c}");
            assert_eq!(c["email"], "gone@x.example", "{kind}: {c}");
        }
        let deleted = of(&kept, "contact.deleted");
        assert_eq!(deleted["name"], "B", "the last state: {deleted}");
        assert_eq!(
            deleted["updatedAt"], renamed.json["updatedAt"],
            "the last state's updatedAt: {deleted}"
        );
        assert_eq!(deleted["subscribed"], kept["subscribed"]);
        assert_eq!(of(&kept, "contact.updated")["name"], "B");
        assert_eq!(of(&kept, "contact.created")["name"], "A");

        let gone = of(&bulk, "contact.deleted");
        assert_eq!(gone["unsub_token"], bulk["unsub_token"], "{gone}");
        assert_eq!(gone["createdAt"], bulk["createdAt"], "{gone}");
        assert_eq!(gone["updatedAt"], bulk["updatedAt"], "{gone}");
        assert_eq!(gone["subscribed"], false);
        let keys: Vec<&String> = gone.as_object().expect("object").keys().collect();
        let listed: Vec<&String> = bulk.as_object().expect("object").keys().collect();
        assert_eq!(
            keys, listed,
            "every field of the contact object, in its order"
        );
    }
);
