//! A contact's free-form `custom_fields`: parsing writes, merging them, and their limits.
//!
//! Decisions:
//! - A write is an object, or an array of objects; an array element whose keys are exactly
//!   `key` and `value` (with `key` a string) is one field, any other object contributes each
//!   of its entries. Elements apply in order and later wins.
//! - A patch holds each key once: at the position of its first mention, with its last value.
//! - Keys are 1–64 chars of Unicode letters/digits, `_`, `-`, `.` and space, kept as given.
//! - Values are strings (without U+0000), numbers or booleans; null in a write removes the key.
//! - Merging sets given keys in place (new keys are appended), removes null keys, keeps the
//!   rest; the result may hold at most 100 keys and 16 KiB of compact JSON.

use serde_json::{Map, Value};
use std::collections::HashMap;
use thiserror::Error;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

/// Most keys a contact's custom_fields may hold.
pub const MAX_KEYS: usize = 100;
/// Most bytes of compact JSON a contact's custom_fields may take.
pub const MAX_BYTES: usize = 16 * 1024;
/// Most chars in a custom field key.
pub const MAX_KEY_CHARS: usize = 64;

/// A validated custom_fields map (values are scalars: string, number or bool; never null).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomFields(Map<String, Value>);

/// A parsed write to custom_fields: keys in order, Some(value) = set, None = remove.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomFieldsPatch(Vec<(String, Option<Value>)>);

/// Why a custom_fields write or stored value was rejected.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CustomFieldsError {
    /// The write was neither an object nor an array.
    #[error("custom_fields must be an object or an array of objects.")]
    NotObjectOrArray,
    /// The array element at zero-based `index` was not an object.
    #[error("custom_fields array element {index} must be an object.")]
    ArrayElementNotObject { index: usize },
    /// `key` is empty, too long or has a disallowed character.
    #[error("custom field key \"{}\" may only contain letters, digits, \"_\", \"-\", \".\" and spaces (1 to 64 characters).", shown(.key))]
    InvalidKey { key: String },
    /// The value of `key` is an object or an array.
    #[error("custom field \"{}\" must be a string, number, boolean or null.", shown(.key))]
    InvalidValue { key: String },
    /// The string value of `key` contains U+0000.
    #[error("custom field \"{}\" must not contain the NUL character (U+0000).", shown(.key))]
    NulInValue { key: String },
    /// The merged map would hold more than [`MAX_KEYS`] keys.
    #[error("custom_fields may hold at most 100 keys.")]
    TooManyKeys,
    /// The merged map would take more than [`MAX_BYTES`] bytes of JSON.
    #[error("custom_fields may hold at most 16 KiB of JSON.")]
    TooLarge,
    /// Stored text was not a JSON object.
    #[error("stored custom_fields are not a JSON object: {0}")]
    Stored(String),
}

/// A key for an error message: at most 64 chars (then "…"), with quotes and controls escaped.
fn shown(key: &str) -> String {
    let head: String = key.chars().take(MAX_KEY_CHARS).collect();
    let more = if head.len() < key.len() { "…" } else { "" };
    format!("{}{more}", head.escape_debug())
}

impl CustomFields {
    /// An empty map.
    pub fn new() -> CustomFields {
        CustomFields(Map::new())
    }

    /// Read back from storage (JSON object text written by to_json_string); errors if it is not an object.
    pub fn from_stored_json(text: &str) -> Result<CustomFields, CustomFieldsError> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(CustomFields(map)),
            Ok(_) => Err(CustomFieldsError::Stored("not an object".to_owned())),
            Err(e) => Err(CustomFieldsError::Stored(e.to_string())),
        }
    }

    /// Compact JSON object text, keys in map order.
    pub fn to_json_string(&self) -> String {
        // A map of strings to JSON values always serialises; the fallback is unreachable.
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".to_owned())
    }

    /// The fields as a JSON map.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Merge a patch key by key and check the limits on the result.
    pub fn merged(&self, patch: &CustomFieldsPatch) -> Result<CustomFields, CustomFieldsError> {
        let mut map = self.0.clone();
        for (key, value) in &patch.0 {
            // insert keeps an existing key in place; shift_remove keeps the others' order.
            match value {
                Some(v) => map.insert(key.clone(), v.clone()),
                None => map.shift_remove(key),
            };
        }
        if map.len() > MAX_KEYS {
            return Err(CustomFieldsError::TooManyKeys);
        }
        let merged = CustomFields(map);
        if merged.to_json_string().len() > MAX_BYTES {
            return Err(CustomFieldsError::TooLarge);
        }
        Ok(merged)
    }
}

impl CustomFieldsPatch {
    /// Parse and validate a write: an object, or an array of objects in either form.
    pub fn from_json(input: &Value) -> Result<CustomFieldsPatch, CustomFieldsError> {
        let mut raw = Vec::new();
        match input {
            Value::Object(map) => raw.extend(map),
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    let Value::Object(map) = item else {
                        return Err(CustomFieldsError::ArrayElementNotObject { index });
                    };
                    match (map.len(), map.get("key"), map.get("value")) {
                        (2, Some(Value::String(key)), Some(value)) => raw.push((key, value)),
                        _ => raw.extend(map),
                    }
                }
            }
            _ => return Err(CustomFieldsError::NotObjectOrArray),
        }
        // An index keeps de-duplication linear for very large writes.
        let mut index: HashMap<&str, usize> = HashMap::new();
        let mut entries: Vec<(String, Option<Value>)> = Vec::new();
        for (key, value) in raw {
            let value = checked(key, value)?;
            match index.get(key.as_str()) {
                Some(&i) => entries[i].1 = value,
                None => {
                    index.insert(key, entries.len());
                    entries.push((key.clone(), value));
                }
            }
        }
        Ok(CustomFieldsPatch(entries))
    }

    /// Whether the write changes nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each key once, in order of first mention, with its last value (None = remove).
    pub fn entries(&self) -> &[(String, Option<Value>)] {
        &self.0
    }
}

/// Validate one key and value; a null value becomes None (remove).
fn checked(key: &str, value: &Value) -> Result<Option<Value>, CustomFieldsError> {
    let key_ok = (1..=MAX_KEY_CHARS).contains(&key.chars().count())
        && key
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '));
    let error = match value {
        _ if !key_ok => CustomFieldsError::InvalidKey { key: key.into() },
        Value::Null => return Ok(None),
        // Database text columns (PostgreSQL in particular) cannot hold U+0000.
        Value::String(s) if s.contains('\0') => CustomFieldsError::NulInValue { key: key.into() },
        Value::String(_) | Value::Number(_) | Value::Bool(_) => return Ok(Some(value.clone())),
        Value::Array(_) | Value::Object(_) => CustomFieldsError::InvalidValue { key: key.into() },
    };
    Err(error)
}

/// Recognises a date value the way Notocat does: ISO 8601 / RFC 3339 date-time (`2024-05-01T10:00:00Z`, with offset or fractional seconds) or `YYYY-MM-DD`; returns the UTC instant (midnight UTC for a bare date). The value itself is always stored and returned as given.
pub fn recognise_date(value: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return Some(t.to_offset(UtcOffset::UTC));
    }
    // Checked by hand because the year component would also accept a sign or other widths.
    let digit_or_dash = |(i, b): (usize, u8)| {
        matches!(i, 4 | 7) == (b == b'-') && (b == b'-' || b.is_ascii_digit())
    };
    if value.len() != 10 || !value.bytes().enumerate().all(digit_or_dash) {
        return None;
    }
    let date = Date::parse(value, format_description!("[year]-[month]-[day]")).ok()?;
    Some(date.midnight().assume_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use CustomFieldsError::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<CustomFieldsPatch, CustomFieldsError> {
        CustomFieldsPatch::from_json(&v)
    }

    fn apply(base: &CustomFields, v: Value) -> Result<CustomFields, CustomFieldsError> {
        base.merged(&parse(v)?)
    }

    fn fresh(v: Value) -> Result<CustomFields, CustomFieldsError> {
        apply(&CustomFields::new(), v)
    }

    fn count(v: Value) -> Result<usize, CustomFieldsError> {
        parse(v).map(|p| p.entries().len())
    }

    #[test]
    fn array_forms_equal_object_form() {
        let object = parse(json!({"plan": "pro", "seats": 3}));
        assert!(object.is_ok());
        for array in [
            json!([{"key": "plan", "value": "pro"}, {"key": "seats", "value": 3}]),
            json!([{"plan": "pro"}, {"seats": 3}]),
            json!([{"plan": "free"}, {"key": "plan", "value": "pro"}, {"seats": 3}]),
        ] {
            assert_eq!(parse(array), object);
        }
        // Not exactly "key"/"value" with a string key: each entry is a field.
        assert_eq!(count(json!([{"key": 1, "value": 2}])), Ok(2));
        assert_eq!(count(json!([{"key": "a", "value": 2, "x": 3}])), Ok(3));
        assert_eq!(count(json!([])), Ok(0));
    }

    #[test]
    fn merge_sets_removes_keeps_and_orders() {
        let base = fresh(json!({"a": 1, "b": "x", "c": true})).expect("base");
        let out = apply(&base, json!({"d": 4, "b": null, "a": "one"})).expect("merge");
        assert_eq!(out.to_json_string(), r#"{"a":"one","c":true,"d":4}"#);
        assert_eq!((out.len(), out.is_empty()), (3, false));
        let unknown = json!([{"key": "zz", "value": null}]);
        assert_eq!(apply(&out, unknown), Ok(out.clone()));
        let cleared = apply(&out, json!({"c": null, "a": null, "d": null}));
        assert_eq!(cleared, Ok(CustomFields::new()));
    }

    #[test]
    fn key_limit_is_exact() {
        let many = |n: usize| Value::Object((0..n).map(|i| (format!("k{i}"), json!(i))).collect());
        let full = fresh(many(MAX_KEYS)).expect("100 keys");
        assert_eq!(full.len(), MAX_KEYS);
        assert_eq!(apply(&full, json!({"extra": 1})), Err(TooManyKeys));
        let swapped = apply(&full, json!({"extra": 1, "k0": null}));
        assert_eq!(swapped.map(|f| f.len()), Ok(MAX_KEYS));
    }

    #[test]
    fn byte_limit_is_exact() {
        // {"a":"…"} is 8 bytes of overhead around the string.
        let exact = fresh(json!({"a": "x".repeat(MAX_BYTES - 8)}));
        assert_eq!(exact.map(|f| f.to_json_string().len()), Ok(MAX_BYTES));
        let over = fresh(json!({"a": "x".repeat(MAX_BYTES - 7)}));
        assert_eq!(over, Err(TooLarge));
    }

    #[test]
    fn rejects_bad_keys_and_values() {
        let good = json!({"k".repeat(64): 1, "Straße nº1_a-b.c": 1.5, "数字": false});
        assert_eq!(count(good), Ok(3));
        for key in ["", &"k".repeat(65), "a/b", "a\u{1}b", "t\tb"].map(String::from) {
            assert_eq!(parse(json!({key.clone(): 1})), Err(InvalidKey { key }));
        }
        let x = || "x".to_owned();
        for nested in [json!({"x": {"y": 1}}), json!([{"key": "x", "value": [1]}])] {
            assert_eq!(parse(nested), Err(InvalidValue { key: x() }));
        }
        let nul = parse(json!({"x": "a\u{0}"}));
        assert_eq!(nul, Err(NulInValue { key: x() }));
        assert_eq!(parse(json!("x")), Err(NotObjectOrArray));
        let element = parse(json!([{}, 3]));
        assert_eq!(element, Err(ArrayElementNotObject { index: 1 }));
    }

    #[test]
    fn error_messages_name_the_key() {
        let e = InvalidKey { key: "a/b".into() }.to_string();
        let want =
            r#"may only contain letters, digits, "_", "-", "." and spaces (1 to 64 characters)."#;
        assert_eq!(e, format!("custom field key \"a/b\" {want}"));
        let key = "x".repeat(70);
        let e = InvalidValue { key }.to_string();
        let want = "must be a string, number, boolean or null.";
        assert_eq!(e, format!("custom field \"{}…\" {want}", "x".repeat(64)));
        let want = "custom_fields may hold at most 16 KiB of JSON.";
        assert_eq!(TooLarge.to_string(), want);
    }

    #[test]
    fn stored_json_must_be_an_object() {
        let stored = CustomFields::from_stored_json;
        assert!(stored("[1]").is_err() && stored("{").is_err());
        assert_eq!(
            stored(r#"{"b":1,"a":"x"}"#).map(|f| f.to_json_string()),
            Ok(r#"{"b":1,"a":"x"}"#.into())
        );
    }

    #[test]
    fn recognises_dates() {
        use time::macros::datetime;
        let yes = [
            ("2024-05-01", datetime!(2024-05-01 0:00 UTC)),
            ("2024-05-01T10:00:00Z", datetime!(2024-05-01 10:00 UTC)),
            (
                "2024-05-01T10:00:00.123+02:00",
                datetime!(2024-05-01 8:00:00.123 UTC),
            ),
        ];
        for (input, want) in yes {
            assert_eq!(recognise_date(input), Some(want), "{input}");
        }
        let no = "2024-13-01|May 1|2024-5-1|2024-02-30|+2024-05-01||2024-05-01T25:00:00Z";
        for input in no.split('|') {
            assert_eq!(recognise_date(input), None, "{input:?}");
        }
    }

    fn scalar(text: &'static str) -> impl Strategy<Value = Value> + Clone {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            text.prop_map(Value::String),
        ]
    }

    fn any_json() -> impl Strategy<Value = Value> {
        scalar("[a-z ._/\u{0}-]{0,8}").prop_recursive(4, 64, 8, |inner| {
            let key = "[a-zA-Z ._/-]{0,6}|key|value";
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::vec((key, inner), 0..8)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn valid_patch() -> impl Strategy<Value = CustomFieldsPatch> {
        let items = prop::collection::vec(("[a-z]{1,2}", scalar("\\PC{0,300}")), 0..120);
        let as_array =
            |kv: Vec<(String, Value)>| kv.into_iter().map(|(k, v)| json!({"key": k, "value": v}));
        items.prop_filter_map("valid", move |kv| parse(as_array(kv).collect()).ok())
    }

    proptest! {
        #[test]
        fn from_json_never_panics(v in any_json()) {
            let _ = CustomFieldsPatch::from_json(&v);
        }

        // Float values need serde_json's "float_roundtrip" feature to read back bit-exact.
        #[test]
        fn merge_is_idempotent_bounded_and_round_trips(base in valid_patch(), p in valid_patch()) {
            if let Ok(f) = CustomFields::new().merged(&base).and_then(|b| b.merged(&p)) {
                prop_assert_eq!(f.merged(&p), Ok(f.clone()));
                prop_assert!(f.len() <= MAX_KEYS && f.to_json_string().len() <= MAX_BYTES);
                prop_assert!(f.as_map().values().all(|v| !v.is_null()));
                prop_assert_eq!(CustomFields::from_stored_json(&f.to_json_string()), Ok(f.clone()));
            }
        }
    }
}
