//! Each suppression reason against each way back in (issue 15): a PUT, a bulk item, an
//! HTTP import row and a confirmation link never subscribe a suppressed address; PUT, bulk
//! and import do with the explicit override (a link has none: the person must be lifted
//! first).

use crate::double_opt_in::{link_of, press_confirm};
use crate::helpers::*;
use serde_json::{Value, json};

const REASONS: [&str; 3] = ["bounced", "complained", "manual"];

async fn subscribed(app: &TestApp, id: &str) -> Value {
    app.get_contact(id).await.json["subscribed"].clone()
}

/// An unsubscribed contact at `email`, with a pending request to confirm, then suppressed.
async fn suppressed_contact(app: &TestApp, email: &str, reason: &str) -> String {
    let reply = app
        .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
            {"email": email, "confirm": true}
        ]}))
        .await;
    reply.expect_status(200);
    let id = reply.json["results"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.suppress(email, reason).await.expect_status(200);
    id
}

backend_test!(
    no_way_back_in_subscribes_a_suppressed_address_without_the_override,
    |app| async move {
        for reason in REASONS {
            let email = format!("{reason}@example.com");
            let id = suppressed_contact(&app, &email, reason).await;

            // The confirmation link: unavailable, as for an unknown or expired token.
            let token = link_of(&app, &id).await;
            assert_eq!(press_confirm(&app, &token).await.status, 404);
            assert_eq!(subscribed(&app, &id).await, json!(false), "{reason}: link");

            // PUT.
            app.put_contact(&id, &json!({"email": email, "subscribed": true}))
                .await
                .expect_error(409, "suppressed");

            // A bulk item: refused by itself, in Notocat's shape.
            let bulk = app
                .bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                    {"email": email, "subscribed": true}
                ]}))
                .await;
            bulk.expect_status(200);
            assert_eq!(
                bulk.json["results"][0]["code"], "suppressed",
                "{}",
                bulk.text
            );
            assert_eq!(subscribed(&app, &id).await, json!(false), "{reason}: bulk");

            // An HTTP import row, even with resubscribe.
            let file = format!("email,subscribed\n{email},true\n");
            let job = app.start_import("resubscribe=true", file.as_bytes()).await;
            let done = app.finished_import(&job).await;
            assert_eq!(done["report"]["kept_suppressed"], json!(1), "{done}");
            assert_eq!(
                subscribed(&app, &id).await,
                json!(false),
                "{reason}: import"
            );
            assert_eq!(
                app.consent(&id).await.json["suppression"]["reason"],
                json!(reason)
            );
        }
    }
);

backend_test!(
    put_bulk_and_import_subscribe_a_suppressed_address_with_the_override,
    |app| async move {
        for reason in REASONS {
            let put = format!("put-{reason}@example.com");
            let id = suppressed_contact(&app, &put, reason).await;
            app.put_contact(
                &id,
                &json!({"email": put, "subscribed": true, "override_suppression": true}),
            )
            .await
            .expect_status(200);
            assert_eq!(subscribed(&app, &id).await, json!(true), "{reason}: put");

            let bulk = format!("bulk-{reason}@example.com");
            let id = suppressed_contact(&app, &bulk, reason).await;
            app.bulk(&json!({"newsletter_id": app.workspace, "contacts": [
                {"email": bulk, "subscribed": true, "override_suppression": true}
            ]}))
            .await
            .expect_status(200);
            assert_eq!(subscribed(&app, &id).await, json!(true), "{reason}: bulk");

            let import = format!("import-{reason}@example.com");
            let id = suppressed_contact(&app, &import, reason).await;
            let file = format!("email,subscribed\n{import},true\n");
            let query = "resubscribe=true&override_suppression=true";
            let job = app.start_import(query, file.as_bytes()).await;
            assert_eq!(app.finished_import(&job).await["status"], "succeeded");
            assert_eq!(subscribed(&app, &id).await, json!(true), "{reason}: import");
        }
        assert!(
            app.suppressions().await.is_empty(),
            "every override lifted its suppression"
        );
    }
);
