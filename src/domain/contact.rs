//! The contact, a write to it (`ContactPatch`), and the one merge rule that PUT and
//! bulk upsert share.

use super::custom_fields::{CustomFields, CustomFieldsError, CustomFieldsPatch};
use super::email::EmailAddress;
use super::ids::{ContactId, UnsubToken, WorkspaceId};
use super::timestamp::Timestamp;

/// Longest `name`, `first_name` or `last_name` accepted, in characters.
pub const MAX_NAME_CHARS: usize = 256;

/// A contact as stored and as shown (see `http::api::contact_json` for the byte-exact JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    /// `con_…`, unique over the server.
    pub id: ContactId,
    /// The workspace it belongs to; never changes.
    pub workspace_id: WorkspaceId,
    /// Display name, independent of the two below.
    pub name: String,
    /// Given name, `""` when unknown.
    pub first_name: String,
    /// Family name, `""` when unknown.
    pub last_name: String,
    /// Unique per workspace in its normalised form.
    pub email: EmailAddress,
    /// Whether the contact receives the newsletter.
    pub subscribed: bool,
    /// The capability in every unsubscribe link; fixed at creation.
    pub unsub_token: UnsubToken,
    /// Free-form fields.
    pub custom_fields: CustomFields,
    /// When it was created.
    pub created_at: Timestamp,
    /// When a write last changed it.
    pub updated_at: Timestamp,
    /// Starts at 1, one more for each write that changed something (drives the ETag).
    pub version: i64,
}

/// A validated write to a contact: `None` means "not given, keep the value".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContactPatch {
    /// New email, if given.
    pub email: Option<EmailAddress>,
    /// New name, if given.
    pub name: Option<String>,
    /// New first name, if given.
    pub first_name: Option<String>,
    /// New last name, if given.
    pub last_name: Option<String>,
    /// New subscription state, if given; a left-out value never re-subscribes.
    pub subscribed: Option<bool>,
    /// Key-by-key changes to custom_fields, if given.
    pub custom_fields: Option<CustomFieldsPatch>,
    /// The write may subscribe a suppressed address, lifting its suppression
    /// (`domain::suppression`); not a field of the contact.
    pub override_suppression: bool,
}

fn set_if_given<T: Clone>(target: &mut T, value: &Option<T>) {
    if let Some(v) = value {
        *target = v.clone();
    }
}

impl Contact {
    /// A new contact from a patch: `subscribed` defaults to true, names to `""`.
    pub fn create(
        workspace_id: WorkspaceId,
        email: EmailAddress,
        patch: &ContactPatch,
        now: Timestamp,
    ) -> Result<Contact, CustomFieldsError> {
        let blank = Contact {
            id: ContactId::generate(),
            workspace_id,
            name: String::new(),
            first_name: String::new(),
            last_name: String::new(),
            email,
            subscribed: true,
            unsub_token: UnsubToken::generate(),
            custom_fields: CustomFields::new(),
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let mut contact = blank.apply(patch)?;
        contact.version = 1;
        Ok(contact)
    }

    /// Merges a patch into this contact: every given field is set, every other kept,
    /// custom_fields merged key by key. `Ok(None)` when nothing would change, so a
    /// no-op write keeps `updatedAt`.
    pub fn merged(
        &self,
        patch: &ContactPatch,
        now: Timestamp,
    ) -> Result<Option<Contact>, CustomFieldsError> {
        let next = self.apply(patch)?;
        if next.same_content(self) {
            return Ok(None);
        }
        Ok(Some(Contact {
            updated_at: now.max(self.updated_at),
            version: self.version + 1,
            ..next
        }))
    }

    fn apply(&self, patch: &ContactPatch) -> Result<Contact, CustomFieldsError> {
        let mut next = self.clone();
        set_if_given(&mut next.email, &patch.email);
        set_if_given(&mut next.name, &patch.name);
        set_if_given(&mut next.first_name, &patch.first_name);
        set_if_given(&mut next.last_name, &patch.last_name);
        set_if_given(&mut next.subscribed, &patch.subscribed);
        if let Some(fields) = &patch.custom_fields {
            next.custom_fields = self.custom_fields.merged(fields)?;
        }
        Ok(next)
    }

    /// True when every field a client can write is equal (timestamps and version aside).
    pub fn same_content(&self, other: &Contact) -> bool {
        self.email.as_str() == other.email.as_str()
            && self.name == other.name
            && self.first_name == other.first_name
            && self.last_name == other.last_name
            && self.subscribed == other.subscribed
            && self.custom_fields == other.custom_fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn email(s: &str) -> EmailAddress {
        EmailAddress::parse(s).expect("valid test email")
    }

    fn contact() -> Contact {
        let patch = ContactPatch {
            name: Some("Noto".into()),
            custom_fields: Some(
                CustomFieldsPatch::from_json(&json!({"plan": "pro", "age": 3})).expect("valid"),
            ),
            ..ContactPatch::default()
        };
        Contact::create(
            WorkspaceId::generate(),
            email("noto@example.com"),
            &patch,
            Timestamp::from_millis(1_000),
        )
        .expect("valid contact")
    }

    #[test]
    fn create_defaults_to_subscribed_with_empty_names() {
        let c = Contact::create(
            WorkspaceId::generate(),
            email("a@example.com"),
            &ContactPatch::default(),
            Timestamp::from_millis(5),
        )
        .expect("valid");
        assert!(c.subscribed);
        assert_eq!((c.name.as_str(), c.first_name.as_str()), ("", ""));
        assert_eq!(c.created_at, c.updated_at);
        assert_eq!(c.version, 1);
    }

    #[test]
    fn left_out_subscribed_never_resubscribes() {
        let mut c = contact();
        c.subscribed = false;
        let patch = ContactPatch {
            name: Some("New".into()),
            ..ContactPatch::default()
        };
        let next = c
            .merged(&patch, Timestamp::from_millis(2_000))
            .expect("ok")
            .expect("changed");
        assert!(!next.subscribed);
        assert_eq!(next.name, "New");
        assert_eq!(next.updated_at, Timestamp::from_millis(2_000));
        assert_eq!(next.version, 2);
    }

    #[test]
    fn no_op_write_is_none() {
        let c = contact();
        let patch = ContactPatch {
            email: Some(email("noto@example.com")),
            name: Some("Noto".into()),
            ..ContactPatch::default()
        };
        assert_eq!(
            c.merged(&patch, Timestamp::from_millis(9_000)).expect("ok"),
            None
        );
    }

    #[test]
    fn custom_fields_merge_key_by_key() {
        let c = contact();
        let patch = ContactPatch {
            custom_fields: Some(
                CustomFieldsPatch::from_json(
                    &json!([{"key": "age", "value": null}, {"city": "Oslo"}]),
                )
                .expect("valid"),
            ),
            ..ContactPatch::default()
        };
        let next = c
            .merged(&patch, Timestamp::from_millis(2_000))
            .expect("ok")
            .expect("changed");
        assert_eq!(
            next.custom_fields.to_json_string(),
            r#"{"plan":"pro","city":"Oslo"}"#
        );
    }

    #[test]
    fn email_case_change_is_a_change() {
        let c = contact();
        let patch = ContactPatch {
            email: Some(email("Noto@Example.com")),
            ..ContactPatch::default()
        };
        let next = c
            .merged(&patch, Timestamp::from_millis(2_000))
            .expect("ok")
            .expect("changed");
        assert_eq!(next.email.normalized(), c.email.normalized());
    }

    fn patch_strategy() -> impl Strategy<Value = ContactPatch> {
        (
            proptest::option::of("[a-c]{0,2}"),
            proptest::option::of("[a-c]{0,2}"),
            proptest::option::of(any::<bool>()),
            proptest::option::of(proptest::collection::vec(
                ("[a-c]", proptest::option::of(0..3i64)),
                0..4,
            )),
        )
            .prop_map(|(name, last_name, subscribed, fields)| ContactPatch {
                name,
                last_name,
                subscribed,
                custom_fields: fields.map(|entries| {
                    let map: serde_json::Map<String, serde_json::Value> = entries
                        .into_iter()
                        .map(|(k, v)| (k, v.map_or(serde_json::Value::Null, |n| json!(n))))
                        .collect();
                    CustomFieldsPatch::from_json(&serde_json::Value::Object(map))
                        .expect("valid keys")
                }),
                ..ContactPatch::default()
            })
    }

    proptest! {
        #[test]
        fn merge_is_idempotent(patch in patch_strategy()) {
            let c = contact();
            let once = c.merged(&patch, Timestamp::from_millis(2_000)).expect("ok").unwrap_or_else(|| c.clone());
            let twice = once.merged(&patch, Timestamp::from_millis(3_000)).expect("ok");
            prop_assert_eq!(twice, None);
        }

        #[test]
        fn merge_keeps_every_field_not_given(patch in patch_strategy()) {
            let c = contact();
            let next = c.merged(&patch, Timestamp::from_millis(2_000)).expect("ok").unwrap_or_else(|| c.clone());
            prop_assert_eq!(&next.id, &c.id);
            prop_assert_eq!(&next.unsub_token, &c.unsub_token);
            prop_assert_eq!(next.created_at, c.created_at);
            prop_assert_eq!(&next.first_name, &c.first_name);
            prop_assert_eq!(next.email.as_str(), c.email.as_str());
            if patch.subscribed.is_none() { prop_assert_eq!(next.subscribed, c.subscribed); }
            if patch.name.is_none() { prop_assert_eq!(&next.name, &c.name); }
        }
    }
}
