//! Reading the cells other tools write: their time stamps, their tag lists, their JSON
//! attribute objects, and turning a header into a valid custom-field key.
//!
//! Decisions (also in docs/import.md):
//! - A time with no zone (Mailchimp's `2018-02-05 19:28:23`) is UTC; `UTC`/`GMT` after the
//!   time, an offset (`+0000`, `+00:00`, `+00`, `Z`) and Go's `+0000 UTC` form are read.
//! - A tag cell is a JSON array of strings, or a comma-separated list in which a tag may be
//!   quoted (Mailchimp writes `"Tag A","Tag B"`); tags are trimmed, empty ones dropped.
//! - A key keeps its letters, digits, `_`, `-`, `.` and spaces; every run of anything else
//!   becomes one space, the result is trimmed and cut to 64 characters.

use super::super::custom_fields::{MAX_KEY_CHARS, recognise_date};
use super::super::timestamp::Timestamp;
use serde_json::Value;

/// A sign-up (or other) time as the tools write it; `None` when it is not one.
pub(super) fn parse_time(cell: &str) -> Option<Timestamp> {
    let cell = cell.trim();
    let at = |t: time::OffsetDateTime| {
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Timestamp::from_millis)
    };
    if let Some(t) = recognise_date(cell) {
        return at(t);
    }
    let mut parts = cell.split_whitespace();
    let (date, clock) = (parts.next()?, parts.next()?);
    let (clock, mut offset) = split_offset(clock);
    let rest: Vec<&str> = parts.collect();
    match rest.as_slice() {
        [] => {}
        [zone] if offset.is_none() && is_utc_name(zone) => {}
        [zone] if offset.is_none() => offset = Some(offset_text(zone)?),
        // Go's time.String(): `+0000 UTC`; the name only repeats the offset.
        [zone, name] if offset.is_none() && name.chars().all(|c| c.is_ascii_alphabetic()) => {
            offset = Some(offset_text(zone)?)
        }
        _ => return None,
    }
    let offset = offset.unwrap_or_else(|| "Z".to_owned());
    at(recognise_date(&format!("{date}T{clock}{offset}"))?)
}

/// `12:00:00.5+02` → (`12:00:00.5`, `+02:00`); a clock without an offset is left whole.
fn split_offset(clock: &str) -> (&str, Option<String>) {
    if let Some(head) = clock.strip_suffix('Z') {
        return (head, Some("Z".to_owned()));
    }
    match clock.rfind(['+', '-']) {
        Some(i) => match offset_text(&clock[i..]) {
            Some(offset) => (&clock[..i], Some(offset)),
            None => (clock, None),
        },
        None => (clock, None),
    }
}

/// `+0000`, `+00:00` or `+00` as RFC 3339's `+00:00`.
fn offset_text(text: &str) -> Option<String> {
    let (sign, digits) = text.split_at_checked(1)?;
    if !matches!(sign, "+" | "-") {
        return is_utc_name(text).then(|| "Z".to_owned());
    }
    let digits: String = digits.chars().filter(|c| *c != ':').collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match digits.len() {
        2 => Some(format!("{sign}{digits}:00")),
        4 => Some(format!("{sign}{}:{}", &digits[..2], &digits[2..])),
        _ => None,
    }
}

fn is_utc_name(zone: &str) -> bool {
    ["UTC", "GMT", "Z"]
        .iter()
        .any(|z| z.eq_ignore_ascii_case(zone))
}

/// The tags in one cell.
pub(super) fn split_tags(cell: &str) -> Vec<String> {
    let cell = cell.trim();
    let listed: Vec<String> = match serde_json::from_str::<Vec<String>>(cell) {
        Ok(tags) if cell.starts_with('[') => tags,
        _ => csv_fields(cell),
    };
    listed
        .into_iter()
        .map(|tag| tag.trim().to_owned())
        .filter(|tag| !tag.is_empty())
        .collect()
}

/// The fields of `cell` read as one CSV line: `,` separates them, a field that starts with
/// `"` (after blanks) is quoted, with `""` for a quote inside; a line break outside quotes
/// ends the line. By hand, because building a `csv` reader for every cell cost a fifth of
/// a Mailchimp import's time.
fn csv_fields(cell: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut chars = cell.chars().peekable();
    loop {
        let mut field = String::new();
        while chars.next_if(|c| *c == ' ' || *c == '\t').is_some() {}
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '"' if chars.next_if_eq(&'"').is_some() => field.push('"'),
                    '"' => break,
                    c => field.push(c),
                }
            }
        }
        while let Some(c) = chars.next_if(|c| !matches!(c, ',' | '\n' | '\r')) {
            field.push(c);
        }
        fields.push(field.trim().to_owned());
        if chars.next() != Some(',') {
            return fields;
        }
    }
}

/// The entries of a JSON object cell (listmonk `attributes`, Buttondown `metadata`) as
/// custom fields: keys made valid, scalars kept, null left out, arrays and objects as
/// their JSON text. `Err` when the cell is not a JSON object.
pub(super) fn attribute_fields(cell: &str) -> Result<Vec<(String, Value)>, String> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(cell) else {
        return Err(format!("must be a JSON object, not {cell:?}."));
    };
    Ok(map
        .into_iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| {
            let value = match value {
                Value::Array(_) | Value::Object(_) => Value::String(value.to_string()),
                scalar => scalar,
            };
            (valid_key(&key).unwrap_or(key), value)
        })
        .collect())
}

/// `name` as a valid custom-field key, or `None` when nothing of it is left.
pub(super) fn valid_key(name: &str) -> Option<String> {
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ' ');
    let mut key = String::new();
    for c in name.chars() {
        let c = if allowed(c) { c } else { ' ' };
        if !(c == ' ' && (key.is_empty() || key.ends_with(' '))) {
            key.push(c);
        }
    }
    let key: String = key.trim_end().chars().take(MAX_KEY_CHARS).collect();
    let key = key.trim_end().to_owned();
    (!key.is_empty()).then_some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::custom_fields::CustomFieldsPatch;
    use proptest::prelude::*;

    fn at(cell: &str) -> Option<String> {
        parse_time(cell).map(Timestamp::to_rfc3339)
    }

    #[test]
    fn times_in_every_tool_shape() {
        let want = Some("2023-03-24T10:23:10.000Z".to_owned());
        for cell in [
            "2023-03-24 10:23:10",
            "2023-03-24 10:23:10 UTC",
            "2023-03-24T10:23:10Z",
            "2023-03-24T12:23:10+02:00",
            "2023-03-24 10:23:10 +0000 UTC",
            "2023-03-24 12:23:10+02",
            " 2023-03-24 11:23:10 +0100 CET ",
        ] {
            assert_eq!(at(cell), want, "{cell}");
        }
        assert_eq!(
            at("2024-01-15 10:20:30.123456 +0000 UTC").as_deref(),
            Some("2024-01-15T10:20:30.123Z")
        );
        assert_eq!(
            at("2024-01-15").as_deref(),
            Some("2024-01-15T00:00:00.000Z")
        );
        for bad in [
            "",
            "yesterday",
            "2023-03-24 25:00:00",
            "2023-03-24 10:23:10 PST x",
        ] {
            assert_eq!(at(bad), None, "{bad}");
        }
    }

    #[test]
    fn tags_from_lists_quotes_and_json() {
        assert_eq!(
            split_tags("\"Lorem Editors\",\"VIP, gold\""),
            ["Lorem Editors", "VIP, gold"]
        );
        assert_eq!(split_tags(" a, b ,,c"), ["a", "b", "c"]);
        assert_eq!(split_tags("[\"x\", \" y \"]"), ["x", "y"]);
        assert!(split_tags("").is_empty());
        assert_eq!(
            split_tags("a,\"say \"\"hi\"\"\",b"),
            ["a", "say \"hi\"", "b"]
        );
        assert_eq!(split_tags("\"line\nbreak\",x\ny"), ["line\nbreak", "x"]);
        assert_eq!(split_tags("\"open, never closed"), ["open, never closed"]);
    }

    #[test]
    fn keys_are_made_valid() {
        let key = |s: &str| valid_key(s);
        assert_eq!(key("Zip/Postal Code").as_deref(), Some("Zip Postal Code"));
        assert_eq!(
            key("What content are you interested in?").as_deref(),
            Some("What content are you interested in")
        );
        assert_eq!(
            key("Subscription Date (Substack)").as_deref(),
            Some("Subscription Date Substack")
        );
        assert_eq!(key("plan").as_deref(), Some("plan"));
        assert_eq!(key("?!").as_deref(), None);
        assert_eq!(key(&"x".repeat(70)).map(|k| k.chars().count()), Some(64));
    }

    #[test]
    fn attributes_become_fields() {
        let fields = attribute_fields(r#"{"city":"Oslo","age":3,"x":null,"l":[1],"a/b":true}"#);
        let want = vec![
            ("city".to_owned(), Value::from("Oslo")),
            ("age".to_owned(), Value::from(3)),
            ("l".to_owned(), Value::from("[1]")),
            ("a b".to_owned(), Value::from(true)),
        ];
        assert_eq!(fields, Ok(want));
        assert!(attribute_fields("[1]").is_err() && attribute_fields("{").is_err());
    }

    proptest! {
        #[test]
        fn a_made_key_is_always_a_valid_key(header in "\\PC{0,80}") {
            if let Some(key) = valid_key(&header) {
                let write = serde_json::json!({ key.clone(): "x" });
                prop_assert!(CustomFieldsPatch::from_json(&write).is_ok(), "{key:?}");
            }
        }

        #[test]
        fn cells_never_panic(cell in "\\PC{0,40}") {
            let _ = (parse_time(&cell), split_tags(&cell), attribute_fields(&cell));
        }
    }
}
