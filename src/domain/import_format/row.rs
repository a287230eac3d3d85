//! One data row read through its columns: each cell by its column's meaning, then the
//! email and names checked by the API's own parser and the custom fields by their rules.

use super::super::csv_columns::parse_subscribed;
use super::super::custom_fields::{CustomFields, CustomFieldsPatch};
use super::super::email::EmailAddress;
use super::super::ids::{ContactId, UnsubToken};
use super::super::patch_input::{EmailRule, FieldError, parse_contact_patch};
use super::super::timestamp::Timestamp;
use super::columns::Column;
use super::contact::{ImportedContact, SuppressionHint};
use super::values::{attribute_fields, parse_time, split_tags};
use super::{Consent, Meaning};
use serde_json::{Map, Value};

/// The values of one row as they are read.
#[derive(Default)]
pub(super) struct Row {
    body: Map<String, Value>,
    subscribed: Option<bool>,
    suppression: Option<SuppressionHint>,
    signed_up: Option<Timestamp>,
    fallback_signed_up: Option<Timestamp>,
    tags: Vec<String>,
    custom: Map<String, Value>,
    id: Option<ContactId>,
    unsub_token: Option<UnsubToken>,
}

impl Row {
    pub(super) fn read(&mut self, column: &Column, cell: &str) -> Result<(), FieldError> {
        let bad = |what: &str| {
            let message = format!("`{}` {what}", column.header);
            FieldError::invalid(&column.header, message)
        };
        let text = || Value::String(cell.to_owned());
        let field = match column.meaning {
            Meaning::Email => Some("email"),
            Meaning::Name => Some("name"),
            Meaning::FirstName => Some("first_name"),
            Meaning::LastName => Some("last_name"),
            _ => None,
        };
        if let Some(field) = field {
            self.body.insert(field.into(), text());
        }
        match &column.meaning {
            Meaning::Email | Meaning::Name | Meaning::FirstName | Meaning::LastName => {}
            Meaning::Subscribed | Meaning::Unsubscribed => {
                let yes = parse_subscribed(cell)
                    .map_err(|_| bad("must be true, false, 1, 0, yes or no."))?;
                let subscribed = yes == matches!(column.meaning, Meaning::Subscribed);
                self.consent(Consent {
                    subscribed,
                    suppression: None,
                });
            }
            Meaning::Status(read) => {
                let consent = read(&cell.to_lowercase()).ok_or_else(|| {
                    bad(&format!(
                        "has a status this format does not know: {cell:?}."
                    ))
                })?;
                self.consent(consent);
            }
            Meaning::UnsubscribedWhenSet => self.consent(Consent {
                subscribed: false,
                suppression: None,
            }),
            Meaning::SignedUp | Meaning::SignedUpFallback => {
                let at = parse_time(cell).ok_or_else(|| bad("is not a date and time."))?;
                match column.meaning {
                    Meaning::SignedUp => self.signed_up = Some(at),
                    _ => self.fallback_signed_up = Some(at),
                }
            }
            Meaning::Tags => self.tags.extend(split_tags(cell)),
            Meaning::Attributes => {
                for (key, value) in attribute_fields(cell).map_err(|e| bad(&e))? {
                    self.custom.insert(key, value);
                }
            }
            Meaning::Id => {
                self.id = Some(ContactId::parse(cell).ok_or_else(|| bad("is not a contact id."))?)
            }
            Meaning::UnsubToken => {
                let token = UnsubToken::parse(cell);
                self.unsub_token = Some(token.ok_or_else(|| bad("is not an unsubscribe token."))?)
            }
            Meaning::Suppression => {
                let hint = SuppressionHint::from_export(cell).map_err(|e| bad(&e))?;
                self.consent(Consent {
                    subscribed: false,
                    suppression: Some(hint),
                });
            }
            Meaning::AllUnsubscribed | Meaning::AllCleaned | Meaning::Ignored => {}
            Meaning::Custom(_) => {}
        }
        if let Some(key) = &column.key {
            self.custom.insert(key.clone(), text());
        }
        Ok(())
    }

    /// Any unsubscribed signal wins over a subscribed one; the first suppression stays.
    pub(super) fn consent(&mut self, consent: Consent) {
        self.subscribed = Some(self.subscribed.unwrap_or(true) && consent.subscribed);
        self.suppression = self.suppression.or(consent.suppression);
    }

    /// The contact the row describes; `derive_names` fills a missing `name` from the first
    /// and last names, or missing first and last names from `name` (not for purrlist's own
    /// export, where an empty name is a value kept as it is).
    pub(super) fn finish(self, derive_names: bool) -> Result<ImportedContact, FieldError> {
        // The API's own parser checks the email and the names.
        let patch = parse_contact_patch(&self.body, EmailRule::Required)?;
        let email: EmailAddress = patch.email.ok_or_else(|| FieldError::missing("email"))?;
        let custom_fields = CustomFieldsPatch::from_json(&Value::Object(self.custom))
            .and_then(|fields| CustomFields::new().merged(&fields).map(|_| fields))
            .map_err(|e| FieldError::custom_fields(&e))?;
        let (name, first_name, last_name) = if derive_names {
            names(patch.name, patch.first_name, patch.last_name)
        } else {
            (patch.name, patch.first_name, patch.last_name)
        };
        Ok(ImportedContact {
            email,
            name,
            first_name,
            last_name,
            subscribed: self.subscribed,
            suppression: self.suppression,
            signed_up_at: self.signed_up.or(self.fallback_signed_up),
            tags: self.tags,
            custom_fields,
            id: self.id,
            unsub_token: self.unsub_token,
        })
    }
}

type Names = (Option<String>, Option<String>, Option<String>);

/// A row with only first and last names gets them joined as `name`; one with only `name`
/// gets it split at the first space (a single word is the first name).
fn names(name: Option<String>, first: Option<String>, last: Option<String>) -> Names {
    match (name, first, last) {
        (None, first, last) if first.is_some() || last.is_some() => {
            let joined = [first.as_deref(), last.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            (Some(joined), first, last)
        }
        (Some(name), None, None) => match name.split_once(' ') {
            Some((first, last)) => {
                let (first, last) = (first.to_owned(), last.trim().to_owned());
                (Some(name), Some(first), Some(last))
            }
            None => (Some(name.clone()), Some(name), None),
        },
        given => given,
    }
}
