//! `GET /v1/contacts/export`: CSV and NDJSON with everything a move keeps (the suppression
//! of each address too), streamed complete and in list order, never another workspace's
//! contacts, `export` never taken for a contact id.

use crate::helpers::*;
use crate::reply::{Reply, send};
use purrlist::domain::csv_cells::unescape_formula;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;

/// `GET /v1/contacts/export?{query}` with `key`.
pub async fn export_as(app: &TestApp, key: &str, query: &str) -> Reply {
    send(app.req_as(key, Method::GET, &format!("/v1/contacts/export?{query}"))).await
}

/// The rows of a CSV export, each by column name, in file order.
pub fn csv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            let record = r.expect("record");
            header
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

/// The contacts of an NDJSON export, in file order.
pub fn ndjson_contacts(text: &str) -> Vec<Value> {
    assert!(text.is_empty() || text.ends_with('\n'), "{text}");
    text.lines()
        .map(|line| serde_json::from_str(line).expect("one JSON contact a line"))
        .collect()
}

/// The NDJSON lines an export of `listed` holds: each contact as the API shows it, plus
/// `suppression`, the reason `suppressed` gives for its email, else `null`.
pub fn as_exported(listed: &[Value], suppressed: &[(&str, &str)]) -> Vec<Value> {
    listed
        .iter()
        .map(|c| {
            let mut line = c.clone();
            let reason = suppressed.iter().find(|(email, _)| c["email"] == *email);
            line["suppression"] = reason.map_or(Value::Null, |(_, r)| json!(r));
            line
        })
        .collect()
}

/// Checks that CSV rows carry each listed contact's id, token, state and times, in order
/// (a token that begins with `-` is written `'-…`, escaped as a spreadsheet formula would be).
#[track_caller]
pub fn assert_rows_are(rows: &[HashMap<String, String>], listed: &[Value]) {
    assert_eq!(rows.len(), listed.len());
    for (row, contact) in rows.iter().zip(listed) {
        for field in ["id", "email", "unsub_token", "createdAt", "updatedAt"] {
            let cell = unescape_formula(&row[field]);
            assert_eq!(cell, contact[field].as_str().expect(field), "{field}");
        }
        assert_eq!(row["subscribed"], contact["subscribed"].to_string());
    }
}

/// Checks that `rows` name the suppression of exactly the emails `suppressed` lists.
#[track_caller]
pub fn assert_suppressions_are(rows: &[HashMap<String, String>], suppressed: &[(&str, &str)]) {
    for row in rows {
        let reason = suppressed.iter().find(|(email, _)| row["email"] == *email);
        let want = reason.map_or("", |(_, r)| *r);
        assert_eq!(row["suppression"], want, "{}", row["email"]);
    }
}

backend_test!(
    csv_and_ndjson_carry_ids_tokens_state_and_times,
    |app| async move {
        app.upsert(json!([
            {"email": "a@example.com", "name": "=1+1", "first_name": "Ann",
             "custom_fields": {"plan": "pro", "seats": 3, "vip": true}},
            {"email": "b@example.com", "last_name": "Smith", "subscribed": false,
             "custom_fields": {"city": "Oslo\nNorth"}},
            {"email": "c@example.com"},
            {"email": "Out@example.com", "name": "@out"}
        ]))
        .await;
        // Two suppressed addresses, one with and one without a contact.
        let suppressed = [("Out@example.com", "manual")];
        for (email, reason) in [
            ("Out@example.com", "manual"),
            ("ghost@example.com", "bounced"),
        ] {
            app.suppress(email, reason).await.expect_status(200);
        }
        // One contact changed later, so its updatedAt differs from its createdAt.
        let b = app
            .list(&format!(
                "newsletter_id={}&email=b@example.com",
                app.workspace
            ))
            .await
            .json["data"][0]
            .clone();
        app.put_contact(
            b["id"].as_str().expect("id"),
            &json!({"email": "b@example.com", "name": "Bee"}),
        )
        .await
        .expect_status(200);
        let listed = app.list_all().await;
        assert!(listed.iter().any(|c| c["createdAt"] != c["updatedAt"]));

        let csv = export_as(
            &app,
            &app.api_key,
            &format!("newsletter_id={}", app.workspace),
        )
        .await;
        csv.expect_status(200);
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        assert_eq!(
            csv.header("content-disposition"),
            Some(format!("attachment; filename=\"contacts-{}.csv\"", app.workspace).as_str())
        );
        assert_eq!(csv.header("cache-control"), Some("no-store"));
        assert_eq!(
            csv.text.lines().next(),
            Some(
                "id,email,name,first_name,last_name,subscribed,unsub_token,createdAt,updatedAt,suppression,custom.city,custom.plan,custom.seats,custom.vip"
            )
        );
        let rows = csv_rows(&csv.text);
        assert_rows_are(&rows, &listed);
        assert_suppressions_are(&rows, &suppressed);
        assert!(!csv.text.contains("ghost@"), "{}", csv.text);
        let row = |email: &str| {
            rows.iter()
                .find(|r| r["email"] == email)
                .unwrap_or_else(|| panic!("no row {email}"))
        };
        let a = row("a@example.com");
        assert_eq!(a["name"], "'=1+1", "formulas are escaped");
        assert_eq!(
            (a["custom.seats"].as_str(), a["custom.vip"].as_str()),
            ("3", "true")
        );
        assert_eq!(row("b@example.com")["custom.city"], "Oslo\nNorth");
        assert_eq!(row("c@example.com")["custom.plan"], "");
        let out = row("Out@example.com");
        assert_eq!(
            (out["subscribed"].as_str(), out["suppression"].as_str()),
            ("false", "manual")
        );

        // NDJSON: each line is the contact exactly as the API shows it, then `suppression`.
        let ndjson = export_as(
            &app,
            &app.api_key,
            &format!("newsletter_id={}&format=ndjson", app.workspace),
        )
        .await;
        ndjson.expect_status(200);
        assert_eq!(ndjson.header("content-type"), Some("application/x-ndjson"));
        assert!(
            ndjson
                .header("content-disposition")
                .is_some_and(|d| d.starts_with("attachment;") && d.ends_with(".ndjson\"")),
            "{:?}",
            ndjson.headers
        );
        assert_eq!(
            ndjson_contacts(&ndjson.text),
            as_exported(&listed, &suppressed)
        );
        let lines: Vec<&str> = ndjson.text.lines().collect();
        assert!(
            lines
                .iter()
                .any(|l| l.ends_with(r#","suppression":"manual"}"#))
                && lines.iter().any(|l| l.ends_with(r#","suppression":null}"#)),
            "{}",
            ndjson.text
        );
        assert!(!ndjson.text.contains("ghost@"), "{}", ndjson.text);

        // A read-only key is enough; an empty workspace is a header alone.
        let reader = app.key(grant_of(&[&app.workspace]), true).await;
        let again = export_as(&app, &reader.secret, "format=csv").await;
        again.expect_status(200);
        assert_eq!(again.text, csv.text);
        let empty = app.create_workspace().await;
        let none = export_as(&app, &app.api_key, &format!("newsletter_id={empty}")).await;
        none.expect_status(200);
        assert_eq!(
            none.text,
            "id,email,name,first_name,last_name,subscribed,unsub_token,createdAt,updatedAt,suppression\n"
        );
        let none = export_as(
            &app,
            &app.api_key,
            &format!("newsletter_id={empty}&format=ndjson"),
        )
        .await;
        assert_eq!((none.status, none.text.as_str()), (200, ""));
    }
);

backend_test!(
    an_export_never_holds_another_workspaces_contacts,
    |app| async move {
        app.upsert(json!([{"email": "mine@example.com"}])).await;
        let other = app.create_workspace().await;
        app.bulk(&json!({"newsletter_id": other, "contacts": [{"email": "theirs@example.com"}]}))
            .await
            .expect_status(200);

        let mine_only = app.key_for(&[&app.workspace]).await;
        for format in ["csv", "ndjson"] {
            let reply = export_as(&app, &mine_only.secret, &format!("format={format}")).await;
            reply.expect_status(200);
            assert!(reply.text.contains("mine@example.com"), "{}", reply.text);
            assert!(!reply.text.contains("theirs@"), "{}", reply.text);
            export_as(
                &app,
                &mine_only.secret,
                &format!("format={format}&newsletter_id={other}"),
            )
            .await
            .expect_error(403, "forbidden");
        }
        let theirs = export_as(
            &app,
            &app.api_key,
            &format!("newsletter_id={other}&format=ndjson"),
        )
        .await;
        let contacts = ndjson_contacts(&theirs.text);
        assert_eq!(contacts.len(), 1);
        assert_eq!(contacts[0]["email"], "theirs@example.com");
        assert_eq!(contacts[0]["workspace_id"], other.as_str());

        // A key for several workspaces must name one; a bad format is named.
        export_as(&app, &app.api_key, "")
            .await
            .expect_error(400, "missing_field");
        for format in ["xlsx", "CSV", "", "ndjson%20"] {
            let bad = export_as(
                &app,
                &app.api_key,
                &format!("newsletter_id={}&format={format}", app.workspace),
            )
            .await;
            bad.expect_error(400, "invalid_parameter");
            assert_eq!(bad.json["field"], "format");
        }
        send(app.anonymous(Method::GET, "/v1/contacts/export"))
            .await
            .expect_error(401, "unauthorized");
    }
);

backend_test!(
    a_streamed_export_of_thousands_is_complete_and_in_list_order,
    |app| async move {
        // Past three page boundaries; a bulk request's contacts often share one createdAt
        // millisecond, so pages must be cut on (createdAt, id).
        for batch in 0..4 {
            let contacts: Vec<Value> = (0..900)
                .map(|i| {
                    json!({"email": format!("cat{batch}-{i}@example.com"),
                                "custom_fields": {format!("k{}", i % 3): batch}})
                })
                .collect();
            app.upsert(Value::Array(contacts)).await;
        }
        let listed = app.list_all().await;
        assert_eq!(listed.len(), 3600);

        let csv = export_as(
            &app,
            &app.api_key,
            &format!("newsletter_id={}&format=csv", app.workspace),
        )
        .await;
        csv.expect_status(200);
        assert_rows_are(&csv_rows(&csv.text), &listed);
        let ndjson = export_as(
            &app,
            &app.api_key,
            &format!("newsletter_id={}&format=ndjson", app.workspace),
        )
        .await;
        assert_eq!(ndjson_contacts(&ndjson.text), as_exported(&listed, &[]));
    }
);

backend_test!(export_is_never_taken_for_a_contact_id, |app| async move {
    let contact = app.new_contact(json!({"email": "a@example.com"})).await;
    app.get_contact(contact["id"].as_str().expect("id"))
        .await
        .expect_status(200);
    // Other methods on the export route are refused as such, and change nothing.
    for method in [Method::PUT, Method::DELETE, Method::POST] {
        let reply = send(
            app.req(method.clone(), "/v1/contacts/export")
                .json(&json!({"email": "x@example.com"})),
        )
        .await;
        reply.expect_error(405, "method_not_allowed");
    }
    assert_eq!(app.list_all().await, vec![contact]);
    // The route is in the OpenAPI document.
    let doc = send(app.anonymous(Method::GET, "/v1/openapi.json")).await;
    assert!(doc.json["paths"]["/v1/contacts/export"]["get"].is_object());
});
