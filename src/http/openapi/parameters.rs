//! Path, query and header parameters as the server reads them: one pattern per parameter
//! name (per path where paths read one name apart, as `format` and `after`), set here on
//! every operation that takes it (so no two operations can disagree), and no JSON `null`
//! in their types.

use super::schemas::{CONTACT_ID_PATTERN, WORKSPACE_ID_PATTERN, or_empty};
use serde_json::Value;

/// `If-Match` as `http::api::conditional` parses it (RFC 9110 §13.1.1): `*` or entity-tags
/// with visible-ASCII opaque parts, separated by commas; empty list elements and spaces
/// or tabs around commas are allowed. Written with explicit classes (no `\s`, `\w`) so
/// ECMA-262, Python and Rust read it alike.
pub const IF_MATCH_PATTERN: &str =
    r#"^[\t ,]*((\*|(W/)?"[!#-~]*")([\t ]*,[\t ,]*(\*|(W/)?"[!#-~]*"))*[\t ,]*)?$"#;
/// `Idempotency-Key`: 1 to 255 visible ASCII characters.
pub const IDEMPOTENCY_KEY_PATTERN: &str = "^[!-~]{1,255}$";
/// An import's `format`: a name `Format::from_name` takes, or empty (detect it).
pub const IMPORT_FORMAT_PATTERN: &str = "^(purrlist|mailchimp|substack|ghost|listmonk|buttondown|kit|convertkit|beehiiv|resend|csv|ndjson)?$";
/// An import id.
pub const IMPORT_ID_PATTERN: &str = "^imp_[A-Za-z0-9_-]{21}$";
/// An `unsub_token`: 21 characters of the id alphabet.
pub const UNSUB_TOKEN_PATTERN: &str = "^[A-Za-z0-9_-]{21}$";
/// The `format` of `GET /v1/contacts/export` (`domain::contact_export::ExportFormat`).
pub const EXPORT_FORMAT_PATTERN: &str = "^(csv|ndjson)$";

/// The pattern of a parameter of `path`, by where it is and its name.
fn pattern_for(path: &str, location: &str, name: &str) -> Option<String> {
    Some(match (location, name) {
        ("path", "id") if path.starts_with("/v1/contacts/") => CONTACT_ID_PATTERN.to_owned(),
        ("path", "id") if path.starts_with("/v1/workspaces/") => WORKSPACE_ID_PATTERN.to_owned(),
        ("path", "id") if path.starts_with("/v1/imports/") => IMPORT_ID_PATTERN.to_owned(),
        // A suppression id: hex HMAC-SHA256 (domain::suppression::is_suppression_id).
        ("path", "id") if path.starts_with("/v1/suppressions/") => "^[0-9a-f]{64}$".to_owned(),
        ("path", "unsub_token") => UNSUB_TOKEN_PATTERN.to_owned(),
        ("query", "newsletter_id") => or_empty(WORKSPACE_ID_PATTERN),
        ("query", "contact_id") => or_empty(CONTACT_ID_PATTERN),
        ("query", "after") if path == "/v1/contacts" => or_empty(CONTACT_ID_PATTERN),
        ("query", "format") if path == "/v1/contacts/export" => EXPORT_FORMAT_PATTERN.to_owned(),
        ("query", "format") if path == "/v1/imports" => IMPORT_FORMAT_PATTERN.to_owned(),
        ("header", "If-Match") => IF_MATCH_PATTERN.to_owned(),
        ("header", "Idempotency-Key") => IDEMPOTENCY_KEY_PATTERN.to_owned(),
        _ => return None,
    })
}

/// Sets the patterns above on every operation's parameters, and drops `null` from their
/// types: utoipa marks every `Option<T>` parameter nullable, but query and header
/// parameters are text or absent, and a `null` type would invite clients (and fuzzers)
/// to send the word `null`.
pub fn install(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    let operations = paths.iter_mut().flat_map(|(path, item)| {
        let operations = item.as_object_mut().map(|item| item.values_mut());
        operations
            .into_iter()
            .flatten()
            .map(move |op| (path.as_str(), op))
    });
    for (path, operation) in operations {
        let Some(parameters) = operation
            .get_mut("parameters")
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for parameter in parameters.iter_mut() {
            let location = parameter["in"].as_str().unwrap_or_default().to_owned();
            let name = parameter["name"].as_str().unwrap_or_default().to_owned();
            let Some(schema) = parameter.get_mut("schema") else {
                continue;
            };
            if let Some(types) = schema.get("type").and_then(Value::as_array) {
                let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                if let [only] = kept.as_slice() {
                    schema["type"] = only.clone();
                }
            }
            if let Some(pattern) = pattern_for(path, &location, &name) {
                schema["pattern"] = Value::String(pattern);
            }
        }
    }
}
