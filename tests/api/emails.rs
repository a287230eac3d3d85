//! What counts as one mailbox (docs/api.md, "Emails"): every spelling of an internationalised
//! domain is one contact, the local part folds ASCII case only, lengths count octets, and a
//! `+` in `email=` is a plus. Through HTTP on every backend.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

/// `value` percent-encoded for a query string (`+` as `%2B`).
pub fn encoded(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The contacts `GET /v1/contacts?email=<raw>` finds, `raw` put in the query as it is.
pub async fn found(app: &TestApp, raw: &str) -> Vec<Value> {
    let reply = app
        .list(&format!("newsletter_id={}&email={raw}", app.workspace))
        .await;
    reply.expect_status(200);
    reply.json["data"].as_array().expect("data").clone()
}

backend_test!(
    every_spelling_of_an_idn_domain_is_one_contact,
    |app| async move {
        let first = app
            .upsert(json!([{"email": "user@bücher.de", "name": "U"}]))
            .await;
        let id = first["results"][0]["id"].clone();
        let again = app
            .upsert(json!([{"email": "user@xn--bcher-kva.de", "first_name": "Ursula"}]))
            .await;
        assert_eq!(again["results"][0]["id"], id, "the same contact");
        assert_eq!(again["results"][0]["status"], "updated");
        assert_eq!(app.list_all().await.len(), 1);
        // Every spelling finds it; it shows the address as last given.
        for raw in [
            "user@bücher.de",
            "USER@BÜCHER.DE",
            "user@xn--bcher-kva.de",
            "user@ｂücher.de",
        ] {
            let data = found(&app, &encoded(raw)).await;
            assert_eq!(data.len(), 1, "{raw}");
            assert_eq!(data[0]["id"], id, "{raw}");
            assert_eq!(data[0]["email"], "user@xn--bcher-kva.de");
            assert_eq!(
                (&data[0]["name"], &data[0]["first_name"]),
                (&json!("U"), &json!("Ursula"))
            );
        }
        // Another contact cannot take it in any spelling.
        let other = app.new_contact(json!({"email": "other@example.com"})).await;
        app.put_contact(id_of(&other), &json!({"email": "User@BÜCHER.de"}))
            .await
            .expect_error(409, "email_taken");
    }
);

backend_test!(a_kelvin_sign_is_not_the_letter_k, |app| async move {
    let kate = app
        .new_contact(json!({"email": "kate@example.com", "name": "Kate"}))
        .await;
    let kelvin = "\u{212A}ate@example.com";
    let reply = app
        .upsert(json!([{"email": kelvin, "name": "Kelvin"}]))
        .await;
    assert_eq!(reply["results"][0]["status"], "created");
    let reply = app.get_contact(id_of(&kate)).await;
    reply.expect_status(200);
    assert_eq!(reply.json, kate, "kate's contact is untouched");
    let by_kate = found(&app, "kate@example.com").await;
    assert_eq!(by_kate.len(), 1);
    assert_eq!(by_kate[0]["name"], "Kate");
    let by_kelvin = found(&app, &encoded(kelvin)).await;
    assert_eq!(by_kelvin.len(), 1);
    assert_eq!(by_kelvin[0]["email"], kelvin);
    // Non-ASCII letters are compared as given; ASCII case still folds.
    app.upsert(json!([{"email": "JOSÉ@example.com"}])).await;
    assert_eq!(found(&app, &encoded("josÉ@EXAMPLE.com")).await.len(), 1);
    assert_eq!(found(&app, &encoded("josé@example.com")).await.len(), 0);
});

backend_test!(
    email_lengths_count_octets_not_characters,
    |app| async move {
        let c = app.new_contact(json!({"email": "short@example.com"})).await;
        let before = app.snapshot().await;
        // 251 characters, 495 bytes.
        let wide = format!(
            "{}@{}.{}.{}.dev",
            "é".repeat(64),
            "ü".repeat(60),
            "ö".repeat(60),
            "ä".repeat(60)
        );
        assert_eq!((wide.chars().count(), wide.len()), (251, 495));
        let long_local = format!("{}@example.com", "é".repeat(33));
        let long_ascii_form = format!("{}@{}de", "a".repeat(40), "bücher.".repeat(16));
        for email in [&wide, &long_local, &long_ascii_form] {
            app.put_contact(id_of(&c), &json!({"email": email}))
                .await
                .expect_error(400, "invalid_email");
        }
        assert_eq!(app.snapshot().await, before, "nothing written");
        // 32 two-byte characters fill the 64 octets of a local part.
        let fits = format!("{}@example.com", "é".repeat(32));
        assert_eq!(
            app.new_contact(json!({"email": fits})).await["email"],
            json!(fits)
        );
    }
);

backend_test!(plus_in_an_email_query_is_a_plus, |app| async move {
    app.upsert(json!([{"email": "noto+tag@example.com"}, {"email": "noto@example.com"}]))
        .await;
    for raw in [
        "noto+tag@example.com",
        "noto%2Btag@example.com",
        "NOTO+TAG@example.com",
    ] {
        let data = found(&app, raw).await;
        assert_eq!(data.len(), 1, "{raw}");
        assert_eq!(data[0]["email"], "noto+tag@example.com");
    }
    assert!(found(&app, "noto%20tag@example.com").await.is_empty());
    // The parameter's name may be encoded too.
    let reply = app
        .list(&format!(
            "newsletter_id={}&%65mail=noto+tag@example.com",
            app.workspace
        ))
        .await;
    assert_eq!(reply.json["total"], json!(1));
});

backend_test!(
    query_booleans_take_the_words_csv_import_takes,
    |app| async move {
        app.upsert(
            json!([{"email": "in@example.com"}, {"email": "out@example.com", "subscribed": false}]),
        )
        .await;
        for (word, subscribed) in [
            ("False", false),
            ("TRUE", true),
            ("1", true),
            ("0", false),
            ("yes", true),
            ("No", false),
        ] {
            let reply = app
                .list(&format!(
                    "newsletter_id={}&subscribed={word}",
                    app.workspace
                ))
                .await;
            reply.expect_status(200);
            assert_eq!(reply.json["total"], json!(1), "{word}");
            assert_eq!(
                reply.json["data"][0]["subscribed"],
                json!(subscribed),
                "{word}"
            );
        }
        let before = app.snapshot().await;
        for method in [Method::GET, Method::DELETE] {
            let reply = send(app.req(
                method.clone(),
                &format!(
                    "/v1/contacts?newsletter_id={}&subscribed=maybe",
                    app.workspace
                ),
            ))
            .await;
            reply.expect_error(400, "invalid_parameter");
            assert_eq!(reply.json["field"], "subscribed");
            assert_eq!(
                reply.json["message"],
                "`subscribed` must be true, false, 1, 0, yes or no (in any case).",
                "{method}"
            );
        }
        assert_eq!(app.snapshot().await, before);
        // DELETE with `subscribed=YES` means true: every contact goes.
        let reply = app
            .delete(&format!(
                "/v1/contacts?newsletter_id={}&subscribed=YES",
                app.workspace
            ))
            .await;
        reply.expect_status(200);
        assert!(app.list_all().await.is_empty());
    }
);
