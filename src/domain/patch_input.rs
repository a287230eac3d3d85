//! Reading a contact write from JSON, with an error that names the field at fault.
//!
//! Decisions (also in docs/api.md): unknown fields and the read-only fields (`id` on PUT,
//! `workspace_id`, `unsub_token`, `createdAt`, `updatedAt`) are ignored; `null` for a name
//! clears it to `""`; `null` for `custom_fields` means "not given"; `null` for `email` is
//! the same as leaving it out; `subscribed` must be a boolean when given, and so must the
//! extension `override_suppression` (`domain::suppression`).

use super::contact::{ContactPatch, MAX_NAME_CHARS};
use super::custom_fields::{CustomFieldsError, CustomFieldsPatch};
use super::email::EmailAddress;
use serde_json::{Map, Value};

/// What is wrong with a field. The HTTP layer gives each kind its wire code and status
/// (`http::error`); the domain only says which it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldErrorKind {
    /// A required field is absent.
    Missing,
    /// `email` is not a valid address or not a string.
    InvalidEmail,
    /// The field has the wrong type or breaks a limit.
    Invalid,
    /// `custom_fields` breaks a rule.
    InvalidCustomFields,
    /// Another contact of the workspace already has this email.
    EmailTaken,
    /// The id names no contact of the workspace.
    ContactNotFound,
}

/// The one sentence for an email another contact of the workspace holds.
pub const EMAIL_TAKEN_MESSAGE: &str = "Another contact in this workspace already has this email.";

/// A problem with one field of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field at fault, as the client named it.
    pub field: String,
    /// What is wrong with it.
    pub kind: FieldErrorKind,
    /// A sentence for a person.
    pub message: String,
}

impl FieldError {
    /// An error for `field` of `kind` with `message`.
    pub fn new(field: &str, kind: FieldErrorKind, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_owned(),
            kind,
            message: message.into(),
        }
    }

    /// The required field is absent.
    pub fn missing(field: &str) -> FieldError {
        FieldError::new(
            field,
            FieldErrorKind::Missing,
            format!("`{field}` is required."),
        )
    }

    /// The field has the wrong type or breaks a limit.
    pub fn invalid(field: &str, message: impl Into<String>) -> FieldError {
        FieldError::new(field, FieldErrorKind::Invalid, message)
    }

    /// `custom_fields` (given, or as merged into the contact) breaks a rule.
    pub fn custom_fields(e: &CustomFieldsError) -> FieldError {
        FieldError::new(
            "custom_fields",
            FieldErrorKind::InvalidCustomFields,
            e.to_string(),
        )
    }

    /// Another contact of the workspace already has the email.
    pub fn email_taken() -> FieldError {
        FieldError::new("email", FieldErrorKind::EmailTaken, EMAIL_TAKEN_MESSAGE)
    }
}

/// Whether a write must carry an email (PUT always; bulk items without an id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailRule {
    /// Missing email is a `missing_field` error.
    Required,
    /// Email may be left out.
    Optional,
}

/// Reads a contact write from a JSON object.
pub fn parse_contact_patch(
    body: &Map<String, Value>,
    email_rule: EmailRule,
) -> Result<ContactPatch, FieldError> {
    let email =
        match body.get("email") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(EmailAddress::parse(s).map_err(|e| {
                FieldError::new("email", FieldErrorKind::InvalidEmail, e.to_string())
            })?),
            Some(_) => {
                return Err(FieldError::new(
                    "email",
                    FieldErrorKind::InvalidEmail,
                    "`email` must be a string.",
                ));
            }
        };
    if email.is_none() && email_rule == EmailRule::Required {
        return Err(FieldError::missing("email"));
    }
    Ok(ContactPatch {
        email,
        name: parse_name(body, "name")?,
        first_name: parse_name(body, "first_name")?,
        last_name: parse_name(body, "last_name")?,
        subscribed: match body.get("subscribed") {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                return Err(FieldError::invalid(
                    "subscribed",
                    "`subscribed` must be true or false.",
                ));
            }
        },
        custom_fields: match body.get("custom_fields") {
            None | Some(Value::Null) => None,
            Some(v) => {
                Some(CustomFieldsPatch::from_json(v).map_err(|e| FieldError::custom_fields(&e))?)
            }
        },
        override_suppression: match body.get("override_suppression") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(FieldError::invalid(
                    "override_suppression",
                    "`override_suppression` must be true or false.",
                ));
            }
        },
    })
}

fn parse_name(body: &Map<String, Value>, field: &str) -> Result<Option<String>, FieldError> {
    match body.get(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(String::new())),
        Some(Value::String(s)) => {
            if s.chars().count() > MAX_NAME_CHARS {
                Err(FieldError::invalid(
                    field,
                    format!("`{field}` may be at most {MAX_NAME_CHARS} characters."),
                ))
            } else if s.chars().any(char::is_control) {
                Err(FieldError::invalid(
                    field,
                    format!("`{field}` may not contain control characters."),
                ))
            } else {
                Ok(Some(s.clone()))
            }
        }
        Some(_) => Err(FieldError::invalid(
            field,
            format!("`{field}` must be a string."),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value, rule: EmailRule) -> Result<ContactPatch, FieldError> {
        match v {
            Value::Object(map) => parse_contact_patch(&map, rule),
            _ => panic!("test bodies are objects"),
        }
    }

    #[test]
    fn missing_email_is_missing_field_when_required() {
        let err = parse(json!({"name": "x"}), EmailRule::Required).expect_err("must fail");
        assert_eq!(
            (err.field.as_str(), err.kind),
            ("email", FieldErrorKind::Missing)
        );
        assert!(parse(json!({"name": "x"}), EmailRule::Optional).is_ok());
    }

    #[test]
    fn each_bad_value_names_its_field() {
        let cases = [
            (
                json!({"email": "nope"}),
                "email",
                FieldErrorKind::InvalidEmail,
            ),
            (json!({"email": 5}), "email", FieldErrorKind::InvalidEmail),
            (
                json!({"email": "a@b.co", "name": 5}),
                "name",
                FieldErrorKind::Invalid,
            ),
            (
                json!({"email": "a@b.co", "first_name": "x".repeat(257)}),
                "first_name",
                FieldErrorKind::Invalid,
            ),
            (
                json!({"email": "a@b.co", "last_name": "a\u{0}b"}),
                "last_name",
                FieldErrorKind::Invalid,
            ),
            (
                json!({"email": "a@b.co", "subscribed": "yes"}),
                "subscribed",
                FieldErrorKind::Invalid,
            ),
            (
                json!({"email": "a@b.co", "subscribed": null}),
                "subscribed",
                FieldErrorKind::Invalid,
            ),
            (
                json!({"email": "a@b.co", "custom_fields": "x"}),
                "custom_fields",
                FieldErrorKind::InvalidCustomFields,
            ),
            (
                json!({"email": "a@b.co", "custom_fields": {"a": {"b": 1}}}),
                "custom_fields",
                FieldErrorKind::InvalidCustomFields,
            ),
        ];
        for (body, field, code) in cases {
            let err = parse(body.clone(), EmailRule::Required).expect_err("must fail");
            assert_eq!((err.field.as_str(), err.kind), (field, code), "{body}");
        }
    }

    #[test]
    fn read_only_and_unknown_fields_are_ignored_and_null_name_clears() {
        let patch = parse(
            json!({"email": " A@B.co ", "id": "con_x", "unsub_token": "t", "createdAt": 1, "extra": [], "name": null}),
            EmailRule::Required,
        )
        .expect("valid");
        assert_eq!(patch.email.as_ref().map(|e| e.as_str()), Some("A@B.co"));
        assert_eq!(patch.name.as_deref(), Some(""));
        assert_eq!(patch.subscribed, None);
        assert_eq!(patch.first_name, None);
    }

    #[test]
    fn name_of_exactly_256_chars_is_accepted() {
        let patch = parse(
            json!({"email": "a@b.co", "name": "é".repeat(256)}),
            EmailRule::Required,
        );
        assert!(patch.is_ok());
    }
}
