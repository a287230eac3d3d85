//! The contact form of the dashboard (adding and editing one contact): what it shows, how
//! its fields become the same JSON object a `PUT /v1/contacts/{id}` body is (so the API's
//! parser and rules judge it, `domain::patch_input`), and an error shown next to the field
//! at fault.

use super::form::FormFields;
use super::layout::{TextField, csrf_field};
use super::session::SignedIn;
use crate::domain::contact::Contact;
use crate::http::error::ApiError;
use maud::{Markup, html};
use serde_json::{Map, Value};

/// One custom field as the form shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomFieldRow {
    /// The key.
    pub key: String,
    /// The value as text (a string as itself, anything else as JSON).
    pub value: String,
    /// Ticked for removal.
    pub removed: bool,
}

/// What the contact form holds: a stored contact's values, or what was posted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContactDraft {
    /// `email`.
    pub email: String,
    /// `name`.
    pub name: String,
    /// `first_name`.
    pub first_name: String,
    /// `last_name`.
    pub last_name: String,
    /// The custom fields, in the contact's order.
    pub custom_fields: Vec<CustomFieldRow>,
    /// A custom field to add: its key.
    pub new_key: String,
    /// A custom field to add: its value (a string).
    pub new_value: String,
}

/// A value as the form shows it.
fn as_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl ContactDraft {
    /// The form for a stored contact.
    pub fn of(contact: &Contact) -> ContactDraft {
        ContactDraft {
            email: contact.email.as_str().to_owned(),
            name: contact.name.clone(),
            first_name: contact.first_name.clone(),
            last_name: contact.last_name.clone(),
            custom_fields: contact
                .custom_fields
                .as_map()
                .iter()
                .map(|(key, value)| CustomFieldRow {
                    key: key.clone(),
                    value: as_text(value),
                    removed: false,
                })
                .collect(),
            new_key: String::new(),
            new_value: String::new(),
        }
    }

    /// The form as posted.
    pub fn posted(fields: &FormFields) -> ContactDraft {
        let removed: Vec<&str> = fields.all("cf_remove").collect();
        ContactDraft {
            email: fields.text("email").to_owned(),
            name: fields.text("name").to_owned(),
            first_name: fields.text("first_name").to_owned(),
            last_name: fields.text("last_name").to_owned(),
            custom_fields: fields
                .all("cf_key")
                .zip(fields.all("cf_value"))
                .map(|(key, value)| CustomFieldRow {
                    key: key.to_owned(),
                    value: value.to_owned(),
                    removed: removed.contains(&key),
                })
                .collect(),
            new_key: fields.text("new_cf_key").trim().to_owned(),
            new_value: fields.text("new_cf_value").to_owned(),
        }
    }

    /// The write as the JSON object of a PUT body: every shown field, and of the custom
    /// fields only the changes against `current` (a changed value keeps the stored one's
    /// type when it still reads as that type; a removed one is `null`; a new one is text).
    pub fn to_write(&self, current: Option<&Contact>) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("email".into(), Value::from(self.email.trim()));
        body.insert("name".into(), Value::from(self.name.as_str()));
        body.insert("first_name".into(), Value::from(self.first_name.as_str()));
        body.insert("last_name".into(), Value::from(self.last_name.as_str()));
        let stored = current.map(|c| c.custom_fields.as_map());
        let mut custom = Map::new();
        for row in &self.custom_fields {
            let before = stored.and_then(|s| s.get(&row.key));
            if row.removed {
                custom.insert(row.key.clone(), Value::Null);
                continue;
            }
            if before.is_some_and(|b| as_text(b) == row.value) {
                continue;
            }
            let value = match before {
                Some(Value::String(_)) | None => Value::from(row.value.as_str()),
                Some(_) => serde_json::from_str(&row.value)
                    .unwrap_or_else(|_| Value::from(row.value.as_str())),
            };
            custom.insert(row.key.clone(), value);
        }
        if !self.new_key.is_empty() {
            custom.insert(self.new_key.clone(), Value::from(self.new_value.as_str()));
        }
        if !custom.is_empty() {
            body.insert("custom_fields".into(), Value::Object(custom));
        }
        body
    }
}

/// An error to show on the form: at a field, or about the whole form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormError {
    /// The field at fault (`email`, `name`, …, `custom_fields`), if one is.
    pub field: Option<String>,
    /// The sentence.
    pub message: String,
}

impl FormError {
    /// The form's reading of an error of the API's rules; `None` for one that is not the
    /// form's fault (the store failing, the contact gone), which gets an error page.
    pub fn of(error: &ApiError) -> Option<FormError> {
        let status = error.status().as_u16();
        if !matches!(status, 400 | 409 | 412 | 422) {
            return None;
        }
        let body = error.body();
        if let Some(detail) = body.details.as_ref().and_then(|d| d.first()) {
            return Some(FormError {
                field: Some(detail.field.clone()),
                message: detail.message.clone(),
            });
        }
        let message = if status == 412 {
            "This contact changed since you opened it. Reload the page to see it, then make your change again.".to_owned()
        } else {
            body.message.clone()
        };
        Some(FormError {
            field: body.field.clone(),
            message,
        })
    }

    fn at(&self, field: &str) -> Option<&str> {
        let here = self
            .field
            .as_deref()
            .is_some_and(|f| f == field || f.starts_with(&format!("{field}.")));
        here.then_some(self.message.as_str())
    }

    fn general(&self) -> Option<&str> {
        let known = ["email", "name", "first_name", "last_name", "custom_fields"];
        let placed = self.field.as_deref().is_some_and(|f| {
            known
                .iter()
                .any(|k| f == *k || f.starts_with(&format!("{k}.")))
        });
        (!placed).then_some(self.message.as_str())
    }
}

/// The contact form posting to `action`; `version` (the contact's, when editing) makes the
/// write fail rather than overwrite a change made meanwhile.
pub fn render(
    signed_in: &SignedIn,
    draft: &ContactDraft,
    error: Option<&FormError>,
    action: &str,
    submit: &str,
    version: Option<i64>,
) -> Markup {
    let at = |field: &str| error.and_then(|e| e.at(field));
    let custom_error = at("custom_fields");
    html! {
        form.stack method="post" action=(action) novalidate {
            (csrf_field(signed_in))
            @if let Some(version) = version {
                input type="hidden" name="version" value=(version);
            }
            @if let Some(general) = error.and_then(FormError::general) {
                p.alert role="alert" { (general) }
            }
            (TextField { name: "email", label: "Email", kind: "email", value: &draft.email,
                hint: None, error: at("email"), required: true }.render())
            (TextField { name: "name", label: "Name", kind: "text", value: &draft.name,
                hint: None, error: at("name"), required: false }.render())
            (TextField { name: "first_name", label: "First name", kind: "text", value: &draft.first_name,
                hint: None, error: at("first_name"), required: false }.render())
            (TextField { name: "last_name", label: "Last name", kind: "text", value: &draft.last_name,
                hint: None, error: at("last_name"), required: false }.render())
            fieldset.card {
                legend { "Custom fields" }
                @if let Some(message) = custom_error {
                    p.error id="custom-fields-error" role="alert" { (message) }
                }
                @for (i, row) in draft.custom_fields.iter().enumerate() {
                    div.field {
                        label for={"cf-" (i)} { (row.key) }
                        input type="hidden" name="cf_key" value=(row.key);
                        input id={"cf-" (i)} type="text" name="cf_value" value=(row.value);
                        label.check {
                            input type="checkbox" name="cf_remove" value=(row.key) checked[row.removed];
                            "Remove " (row.key)
                        }
                    }
                }
                div.field {
                    label for="new-cf-key" { "New field: name" }
                    input id="new-cf-key" type="text" name="new_cf_key" value=(draft.new_key);
                }
                div.field {
                    label for="new-cf-value" { "New field: value" }
                    input id="new-cf-value" type="text" name="new_cf_value" value=(draft.new_value);
                }
            }
            div { button type="submit" { (submit) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_posted_form_becomes_a_put_body_with_only_changed_custom_fields() {
        let fields = FormFields::parse(
            b"email=+a%40example.com+&name=A&first_name=&last_name=L\
              &cf_key=plan&cf_value=pro&cf_key=seats&cf_value=5&cf_key=old&cf_value=x\
              &cf_remove=old&new_cf_key=city&new_cf_value=Oslo",
        );
        let draft = ContactDraft::posted(&fields);
        let write = draft.to_write(None);
        assert_eq!(
            Value::Object(write),
            json!({"email": "a@example.com", "name": "A", "first_name": "", "last_name": "L",
                   "custom_fields": {"plan": "pro", "seats": "5", "old": null, "city": "Oslo"}})
        );
    }
}
