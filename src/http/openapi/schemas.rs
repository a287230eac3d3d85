//! The request-body schemas, written out by hand in JSON Schema 2020-12 because they say
//! more than derive macros can (either-or requirements, key patterns, value types), so that
//! a fuzzer reading the document knows exactly which bodies purrlist accepts.

use serde_json::{Value, json};

/// A contact id as clients send it.
pub const CONTACT_ID_PATTERN: &str = "^con_[A-Za-z0-9_-]{21}$";
/// A workspace id as clients send it.
pub const WORKSPACE_ID_PATTERN: &str = "^wks_[A-Za-z0-9_-]{21}$";

/// `^body$` as `^(body)?$`: a value that may also be given empty (meaning "left out").
pub fn or_empty(pattern: &str) -> String {
    let body = pattern.trim_start_matches('^').trim_end_matches('$');
    format!("^({body})?$")
}

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
        "description": "`local@domain` (RFC 5322 dot-atom, non-ASCII characters allowed; the domain may be internationalised), at most 254 bytes and 64 before the `@` (UTF-8, and with the domain in its IDNA ASCII form); no display name, quoted local part or IP-literal domain; the domain has at least two labels. Trimmed; unique per workspace in its normal form (ASCII case ignored, the domain in any IDNA spelling).",
        "example": "noto@example.com"
    })
}

fn subscribed_field() -> Value {
    json!({
        "type": "boolean",
        "description": "Left out, it keeps its value (a new contact starts subscribed). `null` is refused."
    })
}

fn override_suppression_field() -> Value {
    json!({
        "type": "boolean",
        "description": "Extension: `true` lets this write subscribe an address that is suppressed (bounced, complained, manual) or bring back an erased one, and lifts the suppression. Left out, such a write is refused (`suppressed`). Send it only when the person asked again."
    })
}

fn confirm_field() -> Value {
    json!({
        "type": "boolean",
        "description": "Extension, double opt-in: `true` asks the contact to confirm (`contact.confirmation_requested` with the link in the feed and webhooks); `subscribed` is then ignored: a new contact starts unsubscribed, an existing one keeps its state (docs/consent.md)."
    })
}

fn custom_fields_field() -> Value {
    json!({
        "anyOf": [{"$ref": "#/components/schemas/CustomFieldsWrite"}, {"type": "null"}],
        "description": "Merged key by key into the contact's fields; `null` (or leaving it out) changes nothing. After the merge a contact holds at most 100 keys and 16 KiB of JSON."
    })
}

/// The custom-field key pattern. The server takes any Unicode letter or digit (Rust's
/// `char::is_alphanumeric`), but `\p{L}` is not a regex that every tool reads (Python's `re`
/// refuses it, ECMA-262 needs the `u` flag) and `\w` means ASCII to some and Unicode to
/// others; so the pattern lists the Latin, Greek and Cyrillic letters, a subset of the rule,
/// and the description says the rest.
pub const CUSTOM_FIELD_KEY_PATTERN: &str = r"^[A-Za-z0-9_. \u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u0391-\u03A1\u03A3-\u03F5\u03F7-\u0481\u048A-\u052F-]+$";

fn custom_field_key() -> Value {
    json!({
        "type": "string",
        "minLength": 1,
        "maxLength": 64,
        "pattern": CUSTOM_FIELD_KEY_PATTERN,
        "description": "1 to 64 letters, digits, `_`, `-`, `.` or spaces. The pattern lists ASCII, Latin, Greek and Cyrillic letters; the server also accepts the letters and digits of every other script (Unicode Alphabetic or Numeric)."
    })
}

/// What a bulk item is matched by; the item schema is written once per choice so that
/// each variant is a plain object (generated clients get one class with every field).
#[derive(Clone, Copy, PartialEq)]
enum BulkKey {
    Email,
    Id,
}

fn bulk_item(key: BulkKey) -> Value {
    let (required, description) = match key {
        BulkKey::Email => (
            "email",
            "A bulk item matched by its email (and by `id` when given too).",
        ),
        BulkKey::Id => (
            "id",
            "A bulk item that updates the contact `id` names; `email`, when given, changes it.",
        ),
    };
    let id_type = if key == BulkKey::Id {
        json!("string")
    } else {
        json!(["string", "null"])
    };
    json!({
        "type": "object",
        "description": description,
        "required": [required],
        "properties": {
            "id": {
                "type": id_type,
                "pattern": CONTACT_ID_PATTERN,
                "description": "An existing contact of the workspace; an unknown id fails the request (`contact_not_found` in `details`).",
                "example": "con_D6zCfeVDaAAT-b9dl9SIE"
            },
            "email": email_field(key == BulkKey::Id),
            "name": name_field(),
            "first_name": name_field(),
            "last_name": name_field(),
            "subscribed": subscribed_field(),
            "override_suppression": override_suppression_field(),
            "custom_fields": custom_fields_field(),
            "consent": consent_field(),
            "confirm": confirm_field()
        }
    })
}

/// The `consent` extension of a PUT body or bulk item (docs/consent.md#evidence).
fn consent_field() -> Value {
    let text = |max: u32, description: &str| {
        json!({"type": ["string", "null"], "maxLength": max,
               "pattern": "^[^\\x00-\\x1f\\x7f-\\x9f]*$", "description": description})
    };
    json!({
        "type": ["object", "null"],
        "description": "The end user's own evidence, when an integrator forwards a sign-up; kept on this write's event (never on the contact). Another shape is `400 invalid_field` on `consent`.",
        "properties": {
            "source": text(256, "Where the person agreed, e.g. `signup-form` or a page URL."),
            "ip": {"type": ["string", "null"], "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}], "description": "The person's IP address."},
            "user_agent": text(512, "The person's browser."),
            "at": {"type": ["string", "null"], "format": "date-time", "description": "When they agreed (RFC 3339)."}
        },
        "example": {"source": "signup-form", "ip": "198.51.100.23", "user_agent": "Mozilla/5.0", "at": "2024-05-01T09:59:58Z"}
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
    let fields_map = json!({
        "type": "object",
        "description": "Custom fields as an object `{key: value}`.",
        "maxProperties": 100,
        "propertyNames": custom_field_key(),
        "additionalProperties": custom_field_value
    });
    let key_value = json!({
        "type": "object",
        "description": "One custom field as `{\"key\": k, \"value\": v}`.",
        "required": ["key", "value"],
        "properties": {"key": custom_field_key(), "value": custom_field_value},
        "additionalProperties": false
    });
    vec![
        ("CustomFieldsMap", fields_map),
        ("CustomFieldEntry", key_value),
        (
            "CustomFieldsWrite",
            json!({
                "description": "Keys of 1 to 64 letters, digits, `_`, `-`, `.` or spaces. Either an object `{key: value}`, or an array whose elements are `{\"key\": k, \"value\": v}` or objects `{key: value}`, applied in order (a later value wins).",
                "anyOf": [
                    {"$ref": "#/components/schemas/CustomFieldsMap"},
                    {"type": "array", "items": {"anyOf": [
                        {"$ref": "#/components/schemas/CustomFieldEntry"},
                        {"$ref": "#/components/schemas/CustomFieldsMap"}
                    ]}}
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
                    "override_suppression": override_suppression_field(),
                    "custom_fields": custom_fields_field(),
                    "consent": consent_field(),
                    "confirm": confirm_field()
                }
            }),
        ),
        (
            "BulkContactWrite",
            json!({
                "description": "One bulk item: updates the contact `id` names (of the request's workspace), else the one with this email, else creates one. It names an `email`, an `id`, or both. Unknown and read-only fields are ignored.",
                "anyOf": [
                    {"$ref": "#/components/schemas/BulkContactByEmail"},
                    {"$ref": "#/components/schemas/BulkContactById"}
                ]
            }),
        ),
        ("BulkContactByEmail", bulk_item(BulkKey::Email)),
        ("BulkContactById", bulk_item(BulkKey::Id)),
        (
            "BulkRequest",
            json!({
                "type": "object",
                "required": ["contacts"],
                "properties": {
                    "newsletter_id": {
                        "type": ["string", "null"],
                        "pattern": or_empty(WORKSPACE_ID_PATTERN),
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
        (
            "ErasureRequest",
            address_request("The address to erase.", None),
        ),
        (
            "PrivacyExportRequest",
            address_request("The address asked about.", None),
        ),
        (
            "SuppressionCreate",
            address_request(
                "The address to suppress (it need not be a contact).",
                Some(json!({
                    "type": ["string", "null"],
                    "enum": ["manual", "bounced", "complained", null],
                    "description": "`manual` (the default), `bounced` or `complained`; erasure is `POST /v1/privacy/erase`."
                })),
            ),
        ),
        (
            "InboundSecretRequest",
            json!({
                "type": "object",
                "properties": {"newsletter_id": newsletter_id_field()},
                "description": "Unknown fields are ignored."
            }),
        ),
    ]
}

/// `newsletter_id` in a body: a workspace id, empty or left out when the key grants exactly
/// one.
fn newsletter_id_field() -> Value {
    json!({
        "type": ["string", "null"],
        "pattern": or_empty(WORKSPACE_ID_PATTERN),
        "description": "The workspace (`wks_…`); may be left out when the key grants exactly one. An id the key may not use is `403`.",
        "example": "wks_Tj4fTx-GWT0kCkKc375tG"
    })
}

/// A body naming one address of a workspace (privacy requests, suppressions), with an
/// optional `reason`.
fn address_request(email: &str, reason: Option<Value>) -> Value {
    let mut email_schema = email_field(false);
    email_schema["description"] = json!(email);
    let mut properties = json!({"newsletter_id": newsletter_id_field(), "email": email_schema});
    if let Some(reason) = reason {
        properties["reason"] = reason;
    }
    json!({
        "type": "object",
        "required": ["email"],
        "properties": properties,
        "description": "Unknown fields are ignored."
    })
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
    // A replay names a cursor or one event, not both.
    let cursor = json!({"anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 999_999_999_999_999_999_i64},
        {"type": "string", "pattern": "^[0-9]{1,18}$"}
    ]});
    if let Some(body) = doc.pointer_mut(
        "/paths/~1v1~1webhooks~1{id}~1replay/post/requestBody/content/application~1json/schema",
    ) {
        *body = json!({"oneOf": [
            {"type": "object", "required": ["after"], "properties": {"after": cursor}, "not": {"required": ["event_id"]}},
            {"type": "object", "required": ["event_id"], "properties": {"event_id": cursor}, "not": {"required": ["after"]}}
        ]});
    }
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    // The event types an endpoint may ask for are a closed list.
    if let Some(events) = schemas
        .get_mut("WebhookCreate")
        .and_then(|s| s.pointer_mut("/properties/events"))
    {
        events["items"] = json!({
            "type": "string",
            "enum": crate::domain::webhooks::event_type_names()
        });
    }
}
