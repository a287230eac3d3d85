//! The request-body schemas, written out by hand in JSON Schema 2020-12 because they say
//! more than derive macros can (either-or requirements, key patterns, value types), so that
//! a fuzzer reading the document knows exactly which bodies purrlist accepts.

use serde_json::{Value, json};

/// A contact id as clients send it.
pub const CONTACT_ID_PATTERN: &str = "^con_[A-Za-z0-9_-]{21}$";
/// A workspace id as clients send it.
pub const WORKSPACE_ID_PATTERN: &str = "^wks_[A-Za-z0-9_-]{21}$";

fn name_field() -> Value {
    json!({
        "type": ["string", "null"],
        "maxLength": 256,
        "pattern": "^[^\\x00-\\x1F\\x7F-\\x9F]*$",
        "description": "Kept exactly as given, at most 256 characters, no control characters; `null` clears it to `\"\"`."
    })
}

fn email_field(nullable: bool) -> Value {
    let kind = if nullable {
        json!(["string", "null"])
    } else {
        json!("string")
    };
    json!({
        "type": kind,
        "format": "email",
        "maxLength": 254,
        "description": "`local@domain` (RFC 5322 dot-atom, non-ASCII letters allowed), at most 254 characters and 64 before the `@`; no display name, quoted local part or IP-literal domain; the domain has at least two labels. Trimmed; unique per workspace, ignoring case.",
        "example": "noto@example.com"
    })
}

fn subscribed_field() -> Value {
    json!({
        "type": "boolean",
        "description": "Left out, it keeps its value (a new contact starts subscribed). `null` is refused."
    })
}

fn custom_fields_field() -> Value {
    json!({
        "anyOf": [{"$ref": "#/components/schemas/CustomFieldsWrite"}, {"type": "null"}],
        "description": "Merged key by key into the contact's fields; `null` (or leaving it out) changes nothing. After the merge a contact holds at most 100 keys and 16 KiB of JSON."
    })
}

fn custom_field_key() -> Value {
    json!({
        "type": "string",
        "minLength": 1,
        "maxLength": 64,
        "pattern": "^[\\p{L}\\p{N}_. -]+$"
    })
}

/// Every request-body schema, by component name.
pub fn request_schemas() -> Vec<(&'static str, Value)> {
    let custom_field_value = json!({
        "description": "A string (without U+0000), number or boolean; `null` removes the key.",
        "anyOf": [
            {"type": "string", "pattern": "^[^\\x00]*$"},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"}
        ]
    });
    let fields_object = json!({
        "type": "object",
        "maxProperties": 100,
        "propertyNames": custom_field_key(),
        "additionalProperties": custom_field_value
    });
    let key_value = json!({
        "type": "object",
        "required": ["key", "value"],
        "properties": {"key": custom_field_key(), "value": custom_field_value},
        "additionalProperties": false
    });
    vec![
        (
            "CustomFieldsWrite",
            json!({
                "description": "Keys of 1 to 64 letters, digits, `_`, `-`, `.` or spaces. Either an object `{key: value}`, or an array whose elements are `{\"key\": k, \"value\": v}` or objects `{key: value}`, applied in order (a later value wins).",
                "anyOf": [
                    fields_object,
                    {"type": "array", "items": {"anyOf": [key_value, fields_object]}}
                ],
                "example": {"plan": "pro", "signup_date": "2024-05-01"}
            }),
        ),
        (
            "ContactWrite",
            json!({
                "type": "object",
                "description": "The PUT body. Left-out fields keep their value; unknown fields and the read-only ones (`id`, `workspace_id`, `unsub_token`, `createdAt`, `updatedAt`) are ignored.",
                "required": ["email"],
                "properties": {
                    "email": email_field(false),
                    "name": name_field(),
                    "first_name": name_field(),
                    "last_name": name_field(),
                    "subscribed": subscribed_field(),
                    "custom_fields": custom_fields_field()
                }
            }),
        ),
        (
            "BulkContactWrite",
            json!({
                "type": "object",
                "description": "One bulk item: updates the contact `id` names (of the request's workspace), else the one with this email, else creates one. Unknown and read-only fields are ignored.",
                "properties": {
                    "id": {
                        "type": ["string", "null"],
                        "pattern": CONTACT_ID_PATTERN,
                        "description": "An existing contact of the workspace; an unknown id fails the request (`contact_not_found` in `details`).",
                        "example": "con_D6zCfeVDaAAT-b9dl9SIE"
                    },
                    "email": email_field(true),
                    "name": name_field(),
                    "first_name": name_field(),
                    "last_name": name_field(),
                    "subscribed": subscribed_field(),
                    "custom_fields": custom_fields_field()
                },
                "anyOf": [
                    {"required": ["email"], "properties": {"email": {"type": "string"}}},
                    {"required": ["id"], "properties": {"id": {"type": "string"}}}
                ]
            }),
        ),
        (
            "BulkRequest",
            json!({
                "type": "object",
                "required": ["contacts"],
                "properties": {
                    "newsletter_id": {
                        "type": ["string", "null"],
                        "description": "The workspace (`wks_…`); may be left out when the key grants exactly one. An id the key may not use is `403`.",
                        "example": "wks_Tj4fTx-GWT0kCkKc375tG"
                    },
                    "contacts": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": 1000,
                        "items": {"$ref": "#/components/schemas/BulkContactWrite"},
                        "description": "1 to 1000 contacts, applied in order, all or nothing."
                    }
                }
            }),
        ),
    ]
}

/// Puts the hand-written schemas into a serialized OpenAPI document.
pub fn install(doc: &mut Value) {
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in request_schemas() {
        schemas.insert(name.to_owned(), schema);
    }
}

/// Query and header parameters are text or absent, never JSON `null`; utoipa marks every
/// `Option<T>` parameter nullable, which would invite clients (and fuzzers) to send the
/// word `null`. Keeps only the non-null type.
pub fn drop_null_from_parameters(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let operations = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut());
    for operation in operations {
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for schema in parameters.iter_mut().filter_map(|p| p.get_mut("schema")) {
            if let Some(types) = schema.get("type").and_then(Value::as_array) {
                let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                if let [only] = kept.as_slice() {
                    schema["type"] = only.clone();
                }
            }
        }
    }
}
