//! The contact object (api.md §1): fields, order, id shapes, defaults, timestamps.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{Value, json};

const FIELDS: [&str; 11] = [
    "id",
    "workspace_id",
    "name",
    "first_name",
    "last_name",
    "email",
    "subscribed",
    "unsub_token",
    "custom_fields",
    "createdAt",
    "updatedAt",
];

const NANOID: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// `body` is 21 characters of `A-Za-z0-9_-`.
pub fn is_nanoid(body: &str) -> bool {
    body.len() == 21 && body.chars().all(|c| NANOID.contains(c))
}

/// `2023-04-25T14:34:03.000Z`: `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`.
pub fn is_timestamp(s: &str) -> bool {
    let pattern = "dddd-dd-ddTdd:dd:dd.dddZ";
    s.len() == pattern.len()
        && s.bytes().zip(pattern.bytes()).all(|(c, p)| match p {
            b'd' => c.is_ascii_digit(),
            _ => c == p,
        })
}

/// The raw text of one contact object has the eleven keys, each once, in order.
#[track_caller]
pub fn assert_field_order(raw_object: &str) {
    let positions: Vec<usize> = FIELDS
        .iter()
        .map(|f| {
            let needle = format!("\"{f}\":");
            assert_eq!(
                raw_object.matches(&needle).count(),
                1,
                "{f} in {raw_object}"
            );
            raw_object.find(&needle).expect("field present")
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "fields out of order: {raw_object}"
    );
}

/// Every rule of the contact object that holds for any contact.
#[track_caller]
pub fn assert_contact_shape(contact: &Value) {
    let object = contact.as_object().expect("contact is an object");
    let keys: Vec<&str> = object.keys().map(String::as_str).collect();
    assert_eq!(keys, FIELDS, "exactly the eleven fields, in order");
    let id = contact["id"].as_str().expect("id");
    assert!(id.strip_prefix("con_").is_some_and(is_nanoid), "{id}");
    let workspace = contact["workspace_id"].as_str().expect("workspace_id");
    assert!(
        workspace.strip_prefix("wks_").is_some_and(is_nanoid),
        "{workspace}"
    );
    assert!(is_nanoid(
        contact["unsub_token"].as_str().expect("unsub_token")
    ));
    for name in ["name", "first_name", "last_name", "email"] {
        assert!(contact[name].is_string(), "{name} is a string: {contact}");
    }
    assert!(contact["subscribed"].is_boolean());
    assert!(contact["custom_fields"].is_object());
    for at in ["createdAt", "updatedAt"] {
        let value = contact[at].as_str().expect("timestamp");
        assert!(is_timestamp(value), "{at} = {value}");
    }
}

backend_test!(
    every_contact_answer_has_the_eleven_fields_in_order,
    |app| async move {
        let created = app.new_contact(json!({"email": "shape@example.com"})).await;
        let id = id_of(&created).to_owned();
        let get = app.get_contact(&id).await;
        let put = app
            .put_contact(&id, &json!({"email": "shape@example.com", "name": "N"}))
            .await;
        let list = app.list(&format!("newsletter_id={}", app.workspace)).await;
        for reply in [&get, &put] {
            reply.expect_status(200);
            assert_field_order(&reply.text);
            assert_contact_shape(&reply.json);
        }
        list.expect_status(200);
        let data = list.json["data"].as_array().expect("data");
        assert_eq!(data.len(), 1);
        assert_contact_shape(&data[0]);
        let start = list.text.find("[{").expect("an object in data");
        assert_field_order(&list.text[start..]);
    }
);

backend_test!(
    new_contact_has_defaults_and_empty_strings_never_null,
    |app| async move {
        let contact = app.new_contact(json!({"email": "new@example.com"})).await;
        assert_contact_shape(&contact);
        assert_eq!(contact["workspace_id"], json!(app.workspace));
        assert_eq!(contact["subscribed"], json!(true));
        assert_eq!(contact["name"], json!(""));
        assert_eq!(contact["first_name"], json!(""));
        assert_eq!(contact["last_name"], json!(""));
        assert_eq!(contact["custom_fields"], json!({}));
        assert_eq!(contact["createdAt"], contact["updatedAt"]);
    }
);

backend_test!(
    names_are_independent_and_name_is_not_derived,
    |app| async move {
        let contact = app
            .new_contact(
                json!({"email": "n@example.com", "first_name": "Noto", "last_name": "Cat"}),
            )
            .await;
        assert_eq!(contact["name"], json!(""));
        assert_eq!(contact["first_name"], json!("Noto"));
        assert_eq!(contact["last_name"], json!("Cat"));
    }
);

backend_test!(email_is_returned_trimmed_as_given, |app| async move {
    let contact = app
        .new_contact(json!({"email": "  Noto.Cat@Example.COM\t"}))
        .await;
    assert_eq!(contact["email"], json!("Noto.Cat@Example.COM"));
});

backend_test!(internationalised_email_is_accepted, |app| async move {
    let contact = app
        .new_contact(json!({"email": "chat@exemple.français"}))
        .await;
    assert_eq!(contact["email"], json!("chat@exemple.français"));
});

backend_test!(
    ids_and_unsub_tokens_are_unique_per_contact,
    |app| async move {
        let contacts: Vec<Value> = (0..50)
            .map(|i| json!({"email": format!("u{i}@example.com")}))
            .collect();
        app.upsert(Value::Array(contacts)).await;
        let all = app.list_all().await;
        assert_eq!(all.len(), 50);
        let ids: std::collections::HashSet<_> = all.iter().map(|c| c["id"].clone()).collect();
        let tokens: std::collections::HashSet<_> =
            all.iter().map(|c| c["unsub_token"].clone()).collect();
        assert_eq!((ids.len(), tokens.len()), (50, 50));
    }
);

backend_test!(
    custom_field_dates_and_values_are_returned_as_given,
    |app| async move {
        let fields = json!({
            "signup_date": "2024-05-01",
            "seen": "2024-05-01T10:00:00Z",
            "plan": "pro",
            "seats": 3,
            "ratio": 0.1,
            "vip": false,
            "key with space.and-dash_": "ok"
        });
        let contact = app
            .new_contact(json!({"email": "cf@example.com", "custom_fields": fields}))
            .await;
        assert_eq!(contact["custom_fields"], fields);
    }
);

backend_test!(contact_json_content_type_is_utf8_json, |app| async move {
    let contact = app.new_contact(json!({"email": "ct@example.com"})).await;
    let reply = send(app.req(Method::GET, &format!("/v1/contacts/{}", id_of(&contact)))).await;
    assert_eq!(
        reply.header("content-type"),
        Some("application/json; charset=utf-8")
    );
});

#[test]
fn shape_checks_reject_what_they_should() {
    assert!(is_timestamp("2023-04-25T14:34:03.000Z"));
    assert!(!is_timestamp("2023-04-25T14:34:03Z"));
    assert!(!is_timestamp("2023-04-25T14:34:03.000+00:00"));
    assert!(is_nanoid("DwVf3KDpCeLqQTWADxulW"));
    assert!(!is_nanoid("DwVf3KDpCeLqQTWADxul!"));
    let result = std::panic::catch_unwind(|| assert_field_order(r#"{"workspace_id":1,"id":2}"#));
    assert!(result.is_err());
}
