//! One contact as another tool's file describes it, after its format was applied: what
//! the CLI and HTTP imports turn into a contact write.

use super::super::contact::ContactPatch;
use super::super::custom_fields::CustomFieldsPatch;
use super::super::email::EmailAddress;
use super::super::ids::{ContactId, UnsubToken};
use super::super::import_plan::ImportItem;
use super::super::patch_input::FieldError;
use super::super::suppression::SuppressionReason;
use super::super::timestamp::Timestamp;
use serde_json::{Map, Value};

/// Why a tool stopped mailing an address: it becomes a suppression (api.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuppressionHint {
    /// The address bounced (Mailchimp cleaned, Kit bounced, beehiiv invalid, a purrlist
    /// export's `bounced`).
    Bounced,
    /// The person marked a mail as spam (Kit, Buttondown complained, purrlist `complained`).
    Complained,
    /// The sender blocked the address by hand (listmonk blocklisted, Buttondown blocked,
    /// purrlist `manual`).
    Manual,
}

impl SuppressionHint {
    /// `bounced`, `complained` or `manual`, the reasons of api.md §8.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionHint::Bounced => "bounced",
            SuppressionHint::Complained => "complained",
            SuppressionHint::Manual => "manual",
        }
    }

    /// The suppression a purrlist export names (its `suppression` column or field):
    /// exactly `bounced`, `complained` or `manual`. The error completes a message that
    /// begins with the column's name.
    pub fn from_export(word: &str) -> Result<SuppressionHint, String> {
        match SuppressionReason::parse(word) {
            Some(SuppressionReason::Bounced) => Ok(SuppressionHint::Bounced),
            Some(SuppressionReason::Complained) => Ok(SuppressionHint::Complained),
            Some(SuppressionReason::Manual) => Ok(SuppressionHint::Manual),
            Some(SuppressionReason::Erased) => Err(
                "is erased, which no purrlist export holds: an erased address is never a \
                 contact (its suppression moves only with `purrlist copy`). It must be \
                 bounced, complained or manual, or empty."
                    .to_owned(),
            ),
            None => Err(format!(
                "must be bounced, complained or manual, or empty, not {word:?}."
            )),
        }
    }

    /// The suppression reason it becomes.
    pub fn reason(self) -> SuppressionReason {
        match self {
            SuppressionHint::Bounced => SuppressionReason::Bounced,
            SuppressionHint::Complained => SuppressionReason::Complained,
            SuppressionHint::Manual => SuppressionReason::Manual,
        }
    }
}

/// The custom field that carries the tags until contacts have tags of their own.
pub const TAGS_KEY: &str = "tags";

/// One row of an import, read with its format's meaning. `None` is "not given": the
/// stored value is kept (or defaults on a new contact), as in every contact write.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedContact {
    /// The address, validated.
    pub email: EmailAddress,
    /// Display name.
    pub name: Option<String>,
    /// Given name.
    pub first_name: Option<String>,
    /// Family name.
    pub last_name: Option<String>,
    /// What the file says about consent, with its polarity already applied.
    pub subscribed: Option<bool>,
    /// Why the tool stopped mailing the address, when it says.
    pub suppression: Option<SuppressionHint>,
    /// When the person signed up in the tool.
    pub signed_up_at: Option<Timestamp>,
    /// Tags or labels, trimmed, in file order.
    pub tags: Vec<String>,
    /// Every other column (and JSON attribute) under a valid key.
    pub custom_fields: CustomFieldsPatch,
    /// purrlist's own id, when the file is a purrlist export.
    pub id: Option<ContactId>,
    /// purrlist's own unsubscribe token, when the file is a purrlist export.
    pub unsub_token: Option<UnsubToken>,
}

impl ImportedContact {
    /// The import item (`domain::import_plan`): [`ImportedContact::patch`], the id, token
    /// and sign-up time a created contact takes, and the suppression the row asks for.
    pub fn item(&self) -> Result<ImportItem, FieldError> {
        Ok(ImportItem {
            patch: self.patch()?,
            id: self.id.clone(),
            unsub_token: self.unsub_token.clone(),
            created_at: self.signed_up_at,
            suppress: self.suppression.map(SuppressionHint::reason),
        })
    }

    /// The contact write: the fields as given, custom fields plus `tags` (joined with
    /// `", "`) as a custom field while the model lacks tags.
    pub fn patch(&self) -> Result<ContactPatch, FieldError> {
        let mut fields: Map<String, Value> = self
            .custom_fields
            .entries()
            .iter()
            .map(|(key, value)| (key.clone(), value.clone().unwrap_or(Value::Null)))
            .collect();
        if !self.tags.is_empty() {
            fields.insert(TAGS_KEY.into(), Value::String(self.tags.join(", ")));
        }
        let custom_fields = if fields.is_empty() {
            None
        } else {
            Some(
                CustomFieldsPatch::from_json(&Value::Object(fields))
                    .map_err(|e| FieldError::custom_fields(&e))?,
            )
        };
        Ok(ContactPatch {
            email: Some(self.email.clone()),
            name: self.name.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            subscribed: self.subscribed,
            custom_fields,
            override_suppression: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_patch_carries_tags_as_a_custom_field_and_the_item_the_suppression() {
        let contact = ImportedContact {
            email: EmailAddress::parse("a@example.com").expect("email"),
            name: Some("A".into()),
            first_name: None,
            last_name: None,
            subscribed: Some(false),
            suppression: Some(SuppressionHint::Bounced),
            signed_up_at: None,
            tags: vec!["x".into(), "y z".into()],
            custom_fields: CustomFieldsPatch::from_json(&json!({"plan": "pro"})).expect("cf"),
            id: None,
            unsub_token: None,
        };
        let patch = contact.patch().expect("patch");
        assert_eq!(patch.subscribed, Some(false));
        assert_eq!(patch.name.as_deref(), Some("A"));
        let fields = patch.custom_fields.expect("fields");
        let want = [("plan", json!("pro")), ("tags", json!("x, y z"))];
        let got: Vec<(&str, Value)> = fields
            .entries()
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone().unwrap_or(Value::Null)))
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            contact.item().expect("item").suppress,
            Some(SuppressionReason::Bounced)
        );
    }

    #[test]
    fn an_export_names_a_suppression_by_its_reason_exactly() {
        for hint in [
            SuppressionHint::Bounced,
            SuppressionHint::Complained,
            SuppressionHint::Manual,
        ] {
            assert_eq!(SuppressionHint::from_export(hint.as_str()), Ok(hint));
        }
        let erased = SuppressionHint::from_export("erased").expect_err("erased");
        assert!(erased.contains("never a contact"), "{erased}");
        for word in ["Manual", " manual", "hard_bounce", "suppressed", ""] {
            let message = SuppressionHint::from_export(word).expect_err(word);
            assert!(
                message.contains("bounced, complained or manual"),
                "{word:?}: {message}"
            );
        }
    }
}
