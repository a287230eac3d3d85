//! A write with `"confirm": true` and its request to confirm are one transaction: when
//! the request cannot be stored (a fault put in the database beside the server), the write
//! is not applied either, on PUT, bulk and the public sign-up form alike; once the fault is
//! gone the same requests apply whole.

use crate::double_opt_in::{events_of, feed};
use crate::helpers::*;
use crate::signup_forms::{form_key, key_of};
use reqwest::Method;
use serde_json::json;

/// Makes every new pending confirmation fail to store.
async fn refuse_confirmations(app: &TestApp) {
    app.run_sql(
        "",
        "CREATE TRIGGER refuse_confirmations BEFORE INSERT ON confirmations \
         BEGIN SELECT RAISE(ABORT, 'test: confirmations refused'); END;",
        "CREATE FUNCTION refuse_confirmations() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN RAISE EXCEPTION 'test: confirmations refused'; END $$; \
         CREATE TRIGGER refuse_confirmations BEFORE INSERT ON confirmations \
         FOR EACH ROW EXECUTE FUNCTION refuse_confirmations();",
    )
    .await;
}

async fn accept_confirmations(app: &TestApp) {
    app.run_sql(
        "DROP TRIGGER refuse_confirmations",
        ";",
        " ON confirmations;",
    )
    .await;
}

const ORIGIN: &str = "https://site.example.com";

backend_test!(
    a_write_that_asks_to_confirm_applies_whole_or_not_at_all,
    |app| async move {
        let known = app
            .new_contact(
                json!({"email": "known@example.com", "name": "Before", "subscribed": false}),
            )
            .await;
        let id = id_of(&known).to_owned();
        let form = form_key(&app, json!({"allowed_origins": [ORIGIN]})).await;
        let key = key_of(&form);
        let (contacts, events) = (app.snapshot().await, feed(&app).await.len());
        refuse_confirmations(&app).await;

        let put = |name: &'static str| {
            send_allowing(
                app.req(Method::PUT, &format!("/v1/contacts/{id}"))
                    .json(&json!({"email": "known@example.com", "name": name, "confirm": true})),
                Some(500),
            )
        };
        let bulk_body = json!({"newsletter_id": app.workspace, "contacts": [
            {"email": "known@example.com", "name": "Bulk", "confirm": true},
            {"email": "new@example.com", "confirm": true}
        ]});
        let bulk = || {
            send_allowing(
                app.req(Method::POST, "/v1/contacts").json(&bulk_body),
                Some(500),
            )
        };
        let signup = || {
            send_allowing(
                app.anonymous(Method::POST, &format!("/f/{key}"))
                    .header("origin", ORIGIN)
                    .json(&json!({"email": "form@example.com"})),
                Some(500),
            )
        };

        put("After").await.expect_status(500);
        bulk().await.expect_status(500);
        signup().await.expect_status(500);
        assert_eq!(
            app.snapshot().await,
            contacts,
            "no contact written or changed"
        );
        assert_eq!(feed(&app).await.len(), events, "no event recorded");

        accept_confirmations(&app).await;
        put("After").await.expect_status(200);
        bulk().await.expect_status(200);
        signup().await.expect_status(200);
        let names: Vec<_> = app
            .list_all()
            .await
            .iter()
            .map(|c| c["email"].clone())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        let asked: Vec<_> = events_of(&app, "confirmation_requested")
            .await
            .iter()
            .map(|e| e["contact_id"].as_str().expect("contact_id").to_owned())
            .collect();
        assert_eq!(
            asked.len(),
            4,
            "PUT, two bulk items and the form each asked: {asked:?}"
        );
        assert_eq!(asked.iter().filter(|a| **a == id).count(), 2);
    }
);
