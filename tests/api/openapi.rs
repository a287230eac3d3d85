//! The OpenAPI document against the server that serves it: its patterns are regexes every
//! tool reads alike and say what the server enforces, request bodies come as plain objects
//! a client generator can build, and answers that stored state causes are documented.

use crate::helpers::*;
use regex::Regex;
use reqwest::Method;
use serde_json::{Value, json};

async fn document(app: &TestApp) -> Value {
    let reply = send(app.anonymous(Method::GET, "/v1/openapi.json")).await;
    reply.expect_status(200);
    reply.json.clone()
}

/// The schema of parameter `name` of `method path`.
fn parameter_pattern(doc: &Value, path: &str, method: &str, name: &str) -> Regex {
    let parameters = doc["paths"][path][method]["parameters"]
        .as_array()
        .unwrap_or_else(|| panic!("{method} {path} has parameters"));
    let parameter = parameters
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("{method} {path} documents {name}"));
    let pattern = parameter["schema"]["pattern"]
        .as_str()
        .unwrap_or_else(|| panic!("{method} {path} gives {name} a pattern"));
    Regex::new(pattern).expect("a pattern the regex crate reads")
}

/// `POST /v1/contacts` of one item into the test workspace.
async fn bulk_one(app: &TestApp, item: Value) -> Reply {
    app.bulk(&json!({"newsletter_id": app.workspace, "contacts": [item]}))
        .await
}

fn every_pattern<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match (key.as_str(), inner) {
                    ("pattern", Value::String(p)) => out.push(p),
                    _ => every_pattern(inner, out),
                }
            }
        }
        Value::Array(list) => list.iter().for_each(|v| every_pattern(v, out)),
        _ => {}
    }
}

/// The same on every backend, so run once.
#[tokio::test]
async fn every_pattern_avoids_the_escapes_regex_dialects_disagree_on() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let mut patterns = Vec::new();
    every_pattern(&doc, &mut patterns);
    assert!(patterns.len() >= 10, "{patterns:?}");
    // `\p{..}` is refused by Python's `re` (openapi-spec-validator); `\w`, `\d`, `\s`, `\b`
    // are ASCII in ECMA-262 and Unicode in Python and Rust.
    let disputed = Regex::new(r"\\[pPwWdDsSbB]").expect("regex");
    for pattern in patterns {
        assert!(!disputed.is_match(pattern), "portable: {pattern}");
        Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    }
}

/// An import job's `bad_rows` lists as many rows as its description says (the engine's
/// choice, the same on every backend, so run once).
#[tokio::test]
async fn an_import_jobs_bad_rows_are_as_many_as_described() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let said = doc["components"]["schemas"]["ImportBody"]["properties"]["bad_rows"]["description"]
        .as_str()
        .expect("a description");
    let listed: usize = Regex::new(r"^The first (\d+) bad rows")
        .expect("regex")
        .captures(said)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or_else(|| panic!("no count in {said:?}"));
    let mut file = String::from("email\n");
    for i in 0..listed + 10 {
        file.push_str(&format!("bad-{i}\n"));
    }
    let id = app.start_import("skip_invalid=true", file.as_bytes()).await;
    let job = app.finished_import(&id).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["bad_rows"].as_array().map(Vec::len), Some(listed));
    assert_eq!(job["bad_row_count"], listed + 10);
}

/// The same on every backend, so run once.
#[tokio::test]
async fn bulk_items_are_plain_objects_and_health_answers_have_schemas() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let schemas = &doc["components"]["schemas"];
    for (variant, required) in [("BulkContactByEmail", "email"), ("BulkContactById", "id")] {
        let schema = &schemas[variant];
        assert_eq!(schema["type"], "object", "{variant}");
        assert!(schema.get("anyOf").is_none(), "{variant} is one object");
        assert_eq!(schema["required"], json!([required]), "{variant}");
        for field in [
            "name",
            "first_name",
            "last_name",
            "subscribed",
            "custom_fields",
        ] {
            assert!(schema["properties"][field].is_object(), "{variant}.{field}");
        }
    }
    for (path, schema) in [("/healthz", "Alive"), ("/readyz", "Ready")] {
        let content = &doc["paths"][path]["get"]["responses"]["200"]["content"];
        assert_eq!(
            content["application/json"]["schema"]["$ref"],
            format!("#/components/schemas/{schema}"),
            "{path}"
        );
    }
}

/// The same on every backend, so run once.
#[tokio::test]
async fn answers_caused_by_stored_state_are_documented_on_their_operations() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    for (path, method, statuses) in [
        ("/v1/contacts", "post", &["400", "409", "422"][..]),
        ("/v1/contacts", "delete", &["409", "422"][..]),
        ("/v1/contacts/{id}", "get", &["404"][..]),
        (
            "/v1/contacts/{id}",
            "put",
            &["404", "409", "412", "422"][..],
        ),
        (
            "/v1/contacts/{id}",
            "delete",
            &["404", "409", "412", "422"][..],
        ),
    ] {
        for status in statuses {
            assert!(
                doc["paths"][path][method]["responses"][status].is_object(),
                "{method} {path} documents {status}"
            );
        }
    }
    let bulk_400 = doc["paths"]["/v1/contacts"]["post"]["responses"]["400"]["description"]
        .as_str()
        .unwrap_or_default();
    assert!(bulk_400.contains("contact_not_found"), "{bulk_400}");
}

backend_test!(
    if_match_pattern_is_what_the_server_parses,
    |app| async move {
        let doc = document(&app).await;
        let id = id_of(&app.new_contact(json!({"email": "m@example.com"})).await).to_owned();
        for method in ["put", "delete"] {
            let pattern = parameter_pattern(&doc, "/v1/contacts/{id}", method, "If-Match");
            for value in [
                "*",
                "\"1\"",
                "W/\"1\"",
                "\"1\", \"2\"",
                ", \"1\" ,,",
                "\"\"",
                "\"a,b\"",
                "\"1\",*",
                "\t\"1\"\t,\tW/\"x\"",
                ",",
                "3",
                "\"3",
                "\"3\" \"4\"",
                "*abc",
                "W/ \"1\"",
                "w/\"1\"",
                "\"a\"b",
                "**",
                "\"\\\"\"",
            ] {
                // GET never changes the contact; PUT with its own email and DELETE of a
                // missing version are refused by 412 or applied, either way not 400.
                let request = if method == "put" {
                    app.req(Method::PUT, &format!("/v1/contacts/{id}"))
                        .json(&json!({"email": "m@example.com"}))
                } else {
                    app.req(Method::DELETE, &format!("/v1/contacts/{id}"))
                };
                // Applied, 412, or (once `*` deleted it) 404: anything but 400 means parsed.
                let reply = send(request.header("if-match", value)).await;
                let parsed = reply.status != 400;
                assert_eq!(
                    pattern.is_match(value),
                    parsed,
                    "{method} If-Match: {value:?} -> {}",
                    reply.text
                );
            }
        }
    }
);

backend_test!(
    contact_id_and_idempotency_key_patterns_are_what_the_server_enforces,
    |app| async move {
        let doc = document(&app).await;
        let id = id_of(&app.new_contact(json!({"email": "k@example.com"})).await).to_owned();
        let pattern = parameter_pattern(&doc, "/v1/events", "get", "contact_id");
        let long = format!("con_{}", "A".repeat(22));
        let bad_char = format!("con_{}!", "A".repeat(20));
        for value in [
            "",
            id.as_str(),
            "con_short",
            &id.replace("con_", "CON_"),
            &long,
            &bad_char,
        ] {
            let reply = send(app.req(Method::GET, "/v1/events").query(&[
                ("newsletter_id", app.workspace.as_str()),
                ("contact_id", value),
            ]))
            .await;
            assert_eq!(
                pattern.is_match(value),
                reply.status == 200,
                "contact_id={value:?} -> {}",
                reply.text
            );
        }
        let pattern = parameter_pattern(&doc, "/v1/contacts", "post", "Idempotency-Key");
        let (longest, too_long) = ("x".repeat(255), "y".repeat(256));
        for value in ["a", "!~", longest.as_str(), &too_long, "a b", ""] {
            let body =
                json!({"newsletter_id": app.workspace, "contacts": [{"email": "k@example.com"}]});
            let reply = send(
                app.req(Method::POST, "/v1/contacts")
                    .header("idempotency-key", value)
                    .json(&body),
            )
            .await;
            assert_eq!(
                pattern.is_match(value),
                reply.status == 200,
                "Idempotency-Key {value:?} -> {}",
                reply.text
            );
        }
    }
);

backend_test!(
    custom_field_key_pattern_names_only_keys_the_server_takes,
    |app| async move {
        let doc = document(&app).await;
        let map = &doc["components"]["schemas"]["CustomFieldsMap"];
        let pattern = Regex::new(
            map["propertyNames"]["pattern"]
                .as_str()
                .expect("key pattern"),
        )
        .expect("regex");
        let named: Vec<char> = (0..0x3000)
            .filter_map(char::from_u32)
            .filter(|c| pattern.is_match(&c.to_string()))
            .collect();
        assert!(
            named.len() > 800,
            "ASCII, Latin, Greek and Cyrillic: {}",
            named.len()
        );
        let keys: Vec<String> = named
            .chunks(60)
            .map(|chunk| chunk.iter().collect::<String>())
            .collect();
        let fields: serde_json::Map<String, Value> =
            keys.iter().map(|k| (k.clone(), json!(1))).collect();
        let reply = bulk_one(
            &app,
            json!({"email": "p@example.com", "custom_fields": fields}),
        )
        .await;
        reply.expect_status(200);
        // Outside the pattern: letters and digits of other scripts are taken all the same (the
        // description says so); anything else is refused.
        for (key, taken) in [
            ("क", true),
            ("日本", true),
            ("Ⅻ", true),
            ("€", false),
            ("a/b", false),
            ("😀", false),
        ] {
            assert!(!pattern.is_match(key), "{key}");
            let reply = bulk_one(
                &app,
                json!({"email": "q@example.com", "custom_fields": {key: 1}}),
            )
            .await;
            assert_eq!(reply.status == 200, taken, "{key} -> {}", reply.text);
        }
    }
);

backend_test!(
    workspace_name_pattern_is_what_the_server_takes,
    |app| async move {
        let doc = document(&app).await;
        let rename = &doc["components"]["schemas"]["WorkspaceRename"]["properties"]["name"];
        let pattern = Regex::new(rename["pattern"].as_str().expect("name pattern")).expect("regex");
        let path = format!("/v1/workspaces/{}", app.workspace);
        for name in [
            "Cat",
            " Cat ",
            "\tCat\n",
            "\u{a0}Cat\u{85}",
            "a\u{2028}b",
            "",
            "   ",
            "\u{3000}",
            "Ca\u{7}t",
            "Cat\u{9f}x",
        ] {
            let reply = send(app.req(Method::PATCH, &path).json(&json!({"name": name}))).await;
            assert_eq!(
                pattern.is_match(name),
                reply.status == 200,
                "{name:?} -> {}",
                reply.text
            );
        }
    }
);
