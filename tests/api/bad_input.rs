//! The bad-input table (api.md §5, reliability.md §3): every case gets its documented
//! 4xx, an error envelope with a registered code, and leaves the database as it was.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

const JSON: Option<&str> = Some("application/json");

struct Case {
    name: &'static str,
    method: Method,
    path: String,
    content_type: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    code: &'static str,
}

fn bytes(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("json")
}

/// A custom_fields object with `count` keys of `value_len`-character values.
fn custom_fields(count: usize, value_len: usize) -> Value {
    Value::Object(
        (0..count)
            .map(|i| (format!("k{i}"), json!("v".repeat(value_len))))
            .collect(),
    )
}

/// A value nested `depth` objects deep.
fn nested(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

#[rustfmt::skip] // one case per line reads as a table
fn table(workspace: &str, contact: &str) -> Vec<Case> {
    let one = format!("/v1/contacts/{contact}");
    let put = |name, body: Vec<u8>, status, code| Case {
        name,
        method: Method::PUT,
        path: one.clone(),
        content_type: JSON,
        body,
        status,
        code,
    };
    let put_json = |name, mut fields: Value, status, code| {
        if fields.get("email").is_none() {
            fields["email"] = json!("someone@example.com");
        }
        put(name, bytes(&fields), status, code)
    };
    let bulk = |name, body: Vec<u8>, status, code| Case {
        name,
        method: Method::POST,
        path: "/v1/contacts".to_owned(),
        content_type: JSON,
        body,
        status,
        code,
    };
    let bulk_of = |name, contacts: Value, status, code| {
        bulk(
            name,
            bytes(&json!({"newsletter_id": workspace, "contacts": contacts})),
            status,
            code,
        )
    };
    let get = |name, query: &str, status, code| Case {
        name,
        method: Method::GET,
        path: format!("/v1/contacts?newsletter_id={workspace}&{query}"),
        content_type: None,
        body: Vec::new(),
        status,
        code,
    };
    let many = |n: usize| {
        Value::Array(
            (0..n)
                .map(|i| json!({"email": format!("m{i}@example.com")}))
                .collect(),
        )
    };
    let local_65 = format!("{}@example.com", "a".repeat(65));
    let email_255 = format!("{}@{}.com", "a".repeat(64), "b".repeat(186));
    assert_eq!(email_255.len(), 255);
    let wide_email = format!("{}@{}.{}.{}.dev", "é".repeat(64), "ü".repeat(60), "ö".repeat(60), "ä".repeat(60));
    assert_eq!((wide_email.chars().count(), wide_email.len()), (251, 495));
    vec![
        put("malformed JSON", b"{\"email\": \"a@b.co\",".to_vec(), 400, "invalid_json"),
        put("JSON with a stray comma", b"{\"email\": \"a@b.co\",}".to_vec(), 400, "invalid_json"),
        put("empty body", Vec::new(), 400, "invalid_json"),
        put("body is an array", b"[{\"email\": \"a@b.co\"}]".to_vec(), 400, "invalid_body"),
        put("body is a string", b"\"a@b.co\"".to_vec(), 400, "invalid_body"),
        put("invalid UTF-8", b"{\"email\": \"\xff\xfe@example.com\"}".to_vec(), 400, "invalid_json"),
        put("deeply nested JSON", nested(10_000).into_bytes(), 400, "invalid_json"),
        Case { content_type: Some("text/plain"), ..put("text/plain", bytes(&json!({"email": "a@b.co"})), 415, "unsupported_media_type") },
        Case { content_type: Some("application/x-www-form-urlencoded"), ..put("form body", b"email=a%40b.co".to_vec(), 415, "unsupported_media_type") },
        Case { content_type: None, ..put("no content type", bytes(&json!({"email": "a@b.co"})), 415, "unsupported_media_type") },
        put("PUT body over 64 KiB", bytes(&json!({"email": "a@b.co", "pad": "x".repeat(64 * 1024)})), 413, "payload_too_large"),
        put_json("email is a number", json!({"email": 5}), 400, "invalid_email"),
        put_json("email is null", json!({"email": null}), 400, "missing_field"),
        put_json("email without @", json!({"email": "noto.example.com"}), 400, "invalid_email"),
        put_json("email with a display name", json!({"email": "Noto <noto@example.com>"}), 400, "invalid_email"),
        put_json("email of 255 characters", json!({"email": email_255}), 400, "invalid_email"),
        put_json("local part of 65 characters", json!({"email": local_65}), 400, "invalid_email"),
        put_json("email of 251 characters, 495 bytes", json!({"email": wide_email}), 400, "invalid_email"),
        put_json("local part of 33 two-byte characters", json!({"email": format!("{}@example.com", "é".repeat(33))}), 400, "invalid_email"),
        put_json("email whose domain is longer as A-labels", json!({"email": format!("{}@{}de", "a".repeat(40), "bücher.".repeat(16))}), 400, "invalid_email"),
        put_json("email with an invalid A-label", json!({"email": "a@xn--a.com"}), 400, "invalid_email"),
        put_json("email with a control character", json!({"email": "no\u{7}to@example.com"}), 400, "invalid_email"),
        put_json("name is a number", json!({"name": 1}), 400, "invalid_field"),
        put_json("first_name is an array", json!({"first_name": ["a"]}), 400, "invalid_field"),
        put_json("last_name is an object", json!({"last_name": {}}), 400, "invalid_field"),
        put_json("name of 257 characters", json!({"name": "é".repeat(257)}), 400, "invalid_field"),
        put_json("control character in name", json!({"name": "Noto\u{0}Cat"}), 400, "invalid_field"),
        put_json("escape character in first_name", json!({"first_name": "\u{1b}[31mred"}), 400, "invalid_field"),
        put_json("subscribed is a string", json!({"subscribed": "true"}), 400, "invalid_field"),
        put_json("subscribed is a number", json!({"subscribed": 1}), 400, "invalid_field"),
        put_json("custom_fields is a string", json!({"custom_fields": "plan=pro"}), 400, "invalid_custom_fields"),
        put_json("custom_fields is a number", json!({"custom_fields": 3}), 400, "invalid_custom_fields"),
        put_json("custom_fields nested object", json!({"custom_fields": {"a": {"b": 1}}}), 400, "invalid_custom_fields"),
        put_json("custom_fields nested array", json!({"custom_fields": {"a": [1]}}), 400, "invalid_custom_fields"),
        put("custom_fields deeply nested", format!("{{\"email\":\"a@b.co\",\"custom_fields\":{}}}", nested(120)).into_bytes(), 400, "invalid_custom_fields"),
        put_json("101 custom keys", json!({"custom_fields": custom_fields(101, 1)}), 400, "invalid_custom_fields"),
        put_json("custom_fields over 16 KiB", json!({"custom_fields": custom_fields(17, 1024)}), 400, "invalid_custom_fields"),
        put_json("custom key with a slash", json!({"custom_fields": {"a/b": 1}}), 400, "invalid_custom_fields"),
        put_json("custom key empty", json!({"custom_fields": {"": 1}}), 400, "invalid_custom_fields"),
        put_json("custom key of 65 characters", json!({"custom_fields": {"k".repeat(65): 1}}), 400, "invalid_custom_fields"),
        put_json("NUL in a custom value", json!({"custom_fields": {"a": "x\u{0}y"}}), 400, "invalid_custom_fields"),
        put_json("custom key with a newline", json!({"custom_fields": {"a\nb": 1}}), 400, "invalid_custom_fields"),
        put_json("custom_fields array of numbers", json!({"custom_fields": [1, 2]}), 400, "invalid_custom_fields"),
        put_json("custom_fields key/value with an object value", json!({"custom_fields": [{"key": "a", "value": {"x": 1}}]}), 400, "invalid_custom_fields"),
        put_json("read-only fields only", json!({"email": null, "id": contact, "createdAt": "2020-01-01T00:00:00.000Z", "unsub_token": "x"}), 400, "missing_field"),
        Case { path: "/v1/contacts/con_bad".to_owned(), ..put_json("PUT to an id of the wrong shape", json!({}), 404, "contact_not_found") },
        Case { path: "/v1/contacts/wks_AAAAAAAAAAAAAAAAAAAAA".to_owned(), ..put_json("PUT to a workspace id", json!({}), 404, "contact_not_found") },
        bulk("bulk malformed JSON", b"{\"contacts\": [".to_vec(), 400, "invalid_json"),
        bulk("bulk invalid UTF-8", b"{\"contacts\": [{\"email\": \"\xc3\x28@x.co\"}]}".to_vec(), 400, "invalid_json"),
        bulk("bulk without contacts", bytes(&json!({"newsletter_id": workspace})), 400, "missing_field"),
        bulk("bulk contacts is an object", bytes(&json!({"newsletter_id": workspace, "contacts": {"email": "a@b.co"}})), 400, "invalid_field"),
        bulk_of("bulk of 0 contacts", json!([]), 400, "invalid_field"),
        bulk_of("bulk of 1001 contacts", many(1001), 400, "invalid_field"),
        bulk("bulk body over 8 MiB", bytes(&json!({"newsletter_id": workspace, "contacts": [{"email": "a@b.co", "pad": "x".repeat(8 * 1024 * 1024)}]})), 413, "payload_too_large"),
        Case { content_type: Some("text/csv"), ..bulk_of("bulk as text/csv", many(1), 415, "unsupported_media_type") },
        bulk_of("bulk duplicate emails with one bad item", json!([{"email": "d@example.com"}, {"email": "D@example.com"}, {"email": "d@"}]), 400, "invalid_contacts"),
        bulk_of("bulk item is a string", json!(["a@b.co"]), 400, "invalid_contacts"),
        bulk_of("bulk item without email or id", json!([{"name": "x"}]), 400, "invalid_contacts"),
        bulk_of("bulk item id of the wrong shape", json!([{"id": "con_bad", "email": "a@b.co"}]), 400, "invalid_contacts"),
        bulk_of("bulk item id is a number", json!([{"id": 5}]), 400, "invalid_contacts"),
        bulk_of("bulk item with only read-only fields", json!([{"createdAt": "2020-01-01T00:00:00.000Z", "workspace_id": workspace}]), 400, "invalid_contacts"),
        bulk_of("bulk item with 101 custom keys", json!([{"email": "c@example.com", "custom_fields": custom_fields(101, 1)}]), 400, "invalid_contacts"),
        bulk("bulk newsletter_id is a number", bytes(&json!({"newsletter_id": 5, "contacts": many(1)})), 403, "forbidden"),
        bulk("bulk newsletter_id of the wrong shape", bytes(&json!({"newsletter_id": "wks_bad", "contacts": many(1)})), 403, "forbidden"),
        get("limit=abc", "limit=abc", 400, "invalid_parameter"),
        get("limit=0", "limit=0", 400, "invalid_parameter"),
        get("limit=1001", "limit=1001", 400, "invalid_parameter"),
        get("limit twice", "limit=1&limit=2", 400, "invalid_parameter"),
        get("page=0", "page=0", 400, "invalid_parameter"),
        get("page=-1", "page=-1", 400, "invalid_parameter"),
        get("page huge", "page=99999999999999999999999", 400, "invalid_parameter"),
        get("subscribed=maybe", "subscribed=maybe", 400, "invalid_parameter"),
        Case { method: Method::DELETE, ..get("DELETE subscribed=maybe", "subscribed=maybe", 400, "invalid_parameter") },
        Case { method: Method::DELETE, path: "/v1/contacts/con_bad".to_owned(), ..get("DELETE an id of the wrong shape", "", 404, "contact_not_found") },
        Case { method: Method::DELETE, path: "/v1/contacts?newsletter_id=wks_bad".to_owned(), ..get("DELETE newsletter_id of the wrong shape", "", 403, "forbidden") },
    ]
}

backend_test!(
    every_bad_input_gets_its_4xx_and_changes_nothing,
    |app| async move {
        let other = app.create_workspace().await;
        app.bulk(&json!({"newsletter_id": other, "contacts": [{"email": "theirs@example.com"}]}))
            .await
            .expect_status(200);
        let contact = app
            .new_contact(json!({"email": "someone@example.com", "name": "Kept", "custom_fields": {"k": 1}, "subscribed": false}))
            .await;
        let before = app.snapshot().await;
        let bytes_before = app.sqlite_digest();
        assert_eq!(before.len(), 2);
        for case in table(&app.workspace, id_of(&contact)) {
            let mut request = app.req(case.method.clone(), &case.path).body(case.body);
            if let Some(content_type) = case.content_type {
                request = request.header("content-type", content_type);
            }
            let reply = send(request).await;
            assert_eq!(
                (reply.status, reply.code()),
                (case.status, case.code),
                "{}: {}",
                case.name,
                reply.text
            );
            assert_eq!(
                app.snapshot().await,
                before,
                "{} changed the database",
                case.name
            );
            assert_eq!(
                app.sqlite_digest(),
                bytes_before,
                "{} changed the database file's content",
                case.name
            );
        }
    }
);

backend_test!(malformed_json_says_where_it_broke, |app| async move {
    let contact = app.new_contact(json!({"email": "w@example.com"})).await;
    let reply = send(
        app.req(Method::PUT, &format!("/v1/contacts/{}", id_of(&contact)))
            .header("content-type", "application/json")
            .body("{\n  \"email\": \"w@example.com\",\n  \"name\": nope\n}"),
    )
    .await;
    reply.expect_error(400, "invalid_json");
    let message = reply.json["message"].as_str().unwrap_or("");
    assert!(message.contains("line 3"), "{message}");
});

backend_test!(
    body_within_the_limit_is_accepted_with_a_charset_and_json_suffix,
    |app| async move {
        let contact = app.new_contact(json!({"email": "ok@example.com"})).await;
        for content_type in [
            "application/json; charset=utf-8",
            "application/merge-patch+json",
            "Application/JSON",
        ] {
            let reply = send(
                app.req(Method::PUT, &format!("/v1/contacts/{}", id_of(&contact)))
                    .header("content-type", content_type)
                    .body(bytes(
                        &json!({"email": "ok@example.com", "pad": "x".repeat(60 * 1024)}),
                    )),
            )
            .await;
            assert_eq!(reply.status, 200, "{content_type}: {}", reply.text);
        }
    }
);

/// Sends raw HTTP/1.1 bytes and returns the whole answer (std I/O off the runtime thread).
pub async fn raw_exchange(host: String, request: Vec<u8>) -> String {
    tokio::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&host).expect("connect");
        // The server may answer and close before reading everything; that is fine.
        let _ = stream.write_all(&request);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .expect("raw exchange")
}

backend_test!(
    chunked_body_over_the_limit_is_413_without_a_length,
    |app| async move {
        let contact = app.new_contact(json!({"email": "chunk@example.com"})).await;
        let before = app.snapshot().await;
        let host = app.address.trim_start_matches("http://").to_owned();
        let chunk = format!(
            "{{\"email\":\"chunk@example.com\",\"pad\":\"{}\"}}",
            "x".repeat(70 * 1024)
        );
        let request = format!(
            "PUT /v1/contacts/{} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
             {:x}\r\n{chunk}\r\n0\r\n\r\n",
            id_of(&contact),
            app.api_key,
            chunk.len()
        );
        let answer = raw_exchange(host, request.into_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("payload_too_large"), "{answer}");
        assert_eq!(app.snapshot().await, before);
    }
);
