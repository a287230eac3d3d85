//! NDJSON: one contact per line in the API's shape (`email`, `name`, `first_name`,
//! `last_name`, `subscribed`, `custom_fields`), read by the API's own parser, plus what a
//! purrlist export carries for a lossless move: `id`, `unsub_token`, `createdAt` (the
//! sign-up time), `suppression` (`bounced`, `complained` or `manual`: the line is
//! unsubscribed and its address suppressed; `null` or `""` is none, and never lifts one)
//! and `tags` (an array of strings). Other fields are ignored, as the API ignores them.

use super::super::custom_fields::CustomFields;
use super::super::ids::{ContactId, UnsubToken};
use super::super::patch_input::{EmailRule, FieldError, parse_contact_patch};
use super::contact::{ImportedContact, SuppressionHint};
use super::values::parse_time;
use serde_json::Value;

/// Reads one line (a blank line is the caller's to skip).
pub fn contact(line: &str) -> Result<ImportedContact, FieldError> {
    let body = match serde_json::from_str::<Value>(line.trim_start_matches('\u{feff}')) {
        Ok(Value::Object(body)) => body,
        Ok(_) => return Err(invalid("row", "The line must be a JSON object.".into())),
        Err(e) => return Err(invalid("row", format!("The line is not JSON: {e}."))),
    };
    let patch = parse_contact_patch(&body, EmailRule::Required)?;
    let email = patch.email.ok_or_else(|| FieldError::missing("email"))?;
    let custom_fields = patch.custom_fields.unwrap_or_default();
    CustomFields::new()
        .merged(&custom_fields)
        .map_err(|e| FieldError::custom_fields(&e))?;
    let text = |field: &str| match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(invalid(field, format!("`{field}` must be a string."))),
    };
    let signed_up_at =
        match text("createdAt")? {
            Some(s) => Some(parse_time(s).ok_or_else(|| {
                invalid("createdAt", "`createdAt` must be an RFC 3339 time.".into())
            })?),
            None => None,
        };
    let id = match text("id")? {
        Some(s) => Some(
            ContactId::parse(s).ok_or_else(|| invalid("id", "`id` is not a contact id.".into()))?,
        ),
        None => None,
    };
    let unsub_token = match text("unsub_token")? {
        Some(s) => Some(UnsubToken::parse(s).ok_or_else(|| {
            invalid(
                "unsub_token",
                "`unsub_token` is not an unsubscribe token.".into(),
            )
        })?),
        None => None,
    };
    let suppression = match text("suppression")? {
        None | Some("") => None,
        Some(word) => Some(
            SuppressionHint::from_export(word)
                .map_err(|e| invalid("suppression", format!("`suppression` {e}")))?,
        ),
    };
    let tags = match body.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(value) => serde_json::from_value::<Vec<String>>(value.clone())
            .map_err(|_| invalid("tags", "`tags` must be an array of strings.".into()))?
            .into_iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
    };
    Ok(ImportedContact {
        email,
        name: patch.name,
        first_name: patch.first_name,
        last_name: patch.last_name,
        // A suppressed address is never subscribed (as in a CSV row, `row::Row::consent`).
        subscribed: match suppression {
            Some(_) => Some(false),
            None => patch.subscribed,
        },
        suppression,
        signed_up_at,
        tags,
        custom_fields,
        id,
        unsub_token,
    })
}

fn invalid(field: &str, message: String) -> FieldError {
    FieldError::invalid(field, message)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{check_bad_suppression, text};
    use super::super::is_ndjson;
    use super::contact;

    #[test]
    fn lines_in_the_api_shape_with_ids_tokens_times_and_tags() {
        let text = text("ndjson.ndjson");
        assert!(is_ndjson(text.lines().next().unwrap_or_default()));
        let rows: Vec<(usize, Result<_, _>)> = text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(i, line)| (i + 1, contact(line)))
            .collect();
        let bad: Vec<(usize, &str)> = rows
            .iter()
            .filter_map(|(line, r)| r.as_ref().err().map(|e| (*line, e.field.as_str())))
            .collect();
        assert_eq!(
            bad,
            [
                (5, "email"),
                (6, "subscribed"),
                (7, "row"),
                (8, "unsub_token")
            ]
        );
        let good: Vec<_> = rows.iter().filter_map(|(_, r)| r.as_ref().ok()).collect();
        let [noto, left, arr] = good.as_slice() else {
            panic!("three good lines, not {}", good.len());
        };
        assert_eq!(
            noto.id.as_ref().map(|i| i.as_str()),
            Some("con_D6zCfeVDaAAT-b9dl9SIE")
        );
        let token = noto.unsub_token.as_ref().map(|t| t.as_str());
        assert_eq!(token, Some("DwVf3KDpCeLqQTWADxulW"));
        let names = [&noto.name, &noto.first_name, &noto.last_name].map(|n| n.as_deref());
        assert_eq!(names, [Some("Noto"), Some("Noto"), Some("Cat")]);
        assert_eq!(noto.subscribed, Some(true));
        let at = noto.signed_up_at.map(|t| t.to_rfc3339());
        assert_eq!(at.as_deref(), Some("2023-04-25T14:34:03.000Z"));
        assert_eq!(noto.custom_fields.entries().len(), 1);
        assert_eq!(
            (left.email.as_str(), left.subscribed),
            ("LEFT@example.com", Some(false))
        );
        assert_eq!((left.name.as_deref(), left.signed_up_at), (None, None));
        assert_eq!(left.tags, ["a", "b"]);
        let keys: Vec<&str> = arr
            .custom_fields
            .entries()
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(keys, ["city", "seats"]);
        assert_eq!((arr.subscribed, arr.name.as_deref()), (None, None));
        let at = arr.signed_up_at.map(|t| t.to_rfc3339());
        assert_eq!(at.as_deref(), Some("2024-05-01T00:00:00.000Z"));
    }

    #[test]
    fn a_suppression_unsubscribes_the_line_or_refuses_it() {
        use super::super::SuppressionHint;
        let line = |suppression: &str| {
            contact(&format!(
                r#"{{"email":"a@example.com","subscribed":true,"suppression":{suppression}}}"#
            ))
        };
        for hint in [
            SuppressionHint::Bounced,
            SuppressionHint::Complained,
            SuppressionHint::Manual,
        ] {
            let read = line(&format!("{:?}", hint.as_str())).expect("line");
            assert_eq!(
                (read.suppression, read.subscribed),
                (Some(hint), Some(false))
            );
            assert!(read.custom_fields.entries().is_empty());
        }
        for none in ["null", r#""""#] {
            let read = line(none).expect("line");
            assert_eq!((read.suppression, read.subscribed), (None, Some(true)));
        }
        for (value, says) in [
            (r#""erased""#, "never a contact"),
            (r#""MANUAL""#, "bounced, complained or manual"),
            (r#""unsubscribed""#, "bounced, complained or manual"),
            ("true", "must be a string"),
        ] {
            check_bad_suppression(&line(value).expect_err(value), says);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_line_is_a_contact_or_a_field_error(line in "\\PC{0,60}") {
            let _ = contact(&line);
        }
    }
}
