//! Publishable form keys for public sign-up forms (api.md §8, docs/consent.md): a key a
//! web page may show (`pk_` + 21 characters) that can only ask to subscribe an address to
//! its one workspace, always with double opt-in. Its settings: the origins whose pages may
//! post from a browser (CORS), the thank-you page a form post is sent to, and the custom
//! fields a form may set. Here: the key, its settings as an operator gives them, and a
//! sign-up as a form sends it.

use super::contact::ContactPatch;
use super::ids::{BODY_LEN, WorkspaceId, random_body};
use super::patch_input::{EmailRule, FieldError, parse_contact_patch};
use super::timestamp::Timestamp;
use serde_json::{Map, Value};

/// The prefix of every form key.
pub const FORM_KEY_PREFIX: &str = "pk_";
/// The hidden field a person never fills and a bot does (Formspree's convention).
pub const HONEYPOT_FIELD: &str = "_gotcha";
/// Most origins, and most custom fields, one key may list.
pub const MAX_LIST: usize = 50;
/// Longest origin or thank-you URL.
pub const MAX_URL_CHARS: usize = 2000;

/// A form key's id, which is the key itself: it is public by design (it sits in web pages).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FormKeyId(String);

impl FormKeyId {
    /// A new key: `pk_` + 21 random characters.
    pub fn generate() -> FormKeyId {
        FormKeyId(format!("{FORM_KEY_PREFIX}{}", random_body(BODY_LEN)))
    }

    /// A key from a URL or a command line; `None` when it is not of the right shape.
    pub fn parse(input: &str) -> Option<FormKeyId> {
        let body = input.strip_prefix(FORM_KEY_PREFIX)?;
        let ok = body.len() == BODY_LEN
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        ok.then(|| FormKeyId(input.to_owned()))
    }

    /// A key read back from storage.
    pub fn from_stored(value: String) -> FormKeyId {
        FormKeyId(value)
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What an operator sets on a form key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormKeySettings {
    /// A label for people.
    pub name: String,
    /// Origins (`https://example.com`, scheme + host + port) whose pages may post with
    /// `fetch()`; a form post from a page works from anywhere.
    pub allowed_origins: Vec<String>,
    /// Where a form post is sent after a sign-up (303); `None`: a small page of ours.
    pub redirect_url: Option<String>,
    /// Custom field keys a form may set; others are ignored.
    pub custom_fields: Vec<String>,
}

/// A stored form key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormKey {
    /// The key.
    pub id: FormKeyId,
    /// The one workspace it signs people up to.
    pub workspace_id: WorkspaceId,
    /// Its settings.
    pub settings: FormKeySettings,
    /// When it was made.
    pub created_at: Timestamp,
    /// When it was revoked; a revoked key is refused everywhere.
    pub revoked_at: Option<Timestamp>,
}

impl FormKey {
    /// Whether a browser page at `origin` may post with this key (exact, ASCII case-blind).
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.settings
            .allowed_origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
    }
}

/// An `http(s)://host[:port]` origin, as browsers send it in `Origin`, without a path.
fn parse_origin(raw: &str) -> Option<String> {
    let raw = raw.trim().trim_end_matches('/');
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))?;
    let ok = !rest.is_empty()
        && raw.len() <= MAX_URL_CHARS
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then(|| raw.to_ascii_lowercase())
}

fn parse_url(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let rest = raw
        .strip_prefix("https://")
        .or_else(|| raw.strip_prefix("http://"))?;
    let ok = !rest.is_empty()
        && !rest.starts_with('/')
        && raw.len() <= MAX_URL_CHARS
        && !raw.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then(|| raw.to_owned())
}

fn strings<'a>(body: &'a Map<String, Value>, field: &str) -> Result<Vec<&'a str>, FieldError> {
    let bad = || FieldError::invalid(field, format!("`{field}` must be an array of strings."));
    match body.get(field) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() <= MAX_LIST => {
            items.iter().map(|v| v.as_str().ok_or_else(bad)).collect()
        }
        Some(Value::Array(_)) => Err(FieldError::invalid(
            field,
            format!("`{field}` may list at most {MAX_LIST} entries."),
        )),
        Some(_) => Err(bad()),
    }
}

/// Reads a form key's settings from `POST /v1/form-keys`: `name`, `allowed_origins`,
/// `redirect_url`, `custom_fields` (every one optional).
pub fn parse_settings(body: &Map<String, Value>) -> Result<FormKeySettings, FieldError> {
    let name = match body.get("name") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if s.chars().count() <= 256 && !s.chars().any(char::is_control) => {
            s.clone()
        }
        Some(_) => {
            return Err(FieldError::invalid(
                "name",
                "`name` must be a string of at most 256 characters.",
            ));
        }
    };
    let allowed_origins = strings(body, "allowed_origins")?
        .into_iter()
        .map(|o| {
            parse_origin(o).ok_or_else(|| {
                FieldError::invalid(
                    "allowed_origins",
                    format!("{o:?} is not an origin such as `https://example.com` (no path)."),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let redirect_url = match body.get("redirect_url") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_url(s).ok_or_else(|| {
            FieldError::invalid(
                "redirect_url",
                "`redirect_url` must be an http:// or https:// URL.",
            )
        })?),
        Some(_) => {
            return Err(FieldError::invalid(
                "redirect_url",
                "`redirect_url` must be a string.",
            ));
        }
    };
    let custom_fields = strings(body, "custom_fields")?;
    let mut probe = Map::new();
    for key in &custom_fields {
        probe.insert((*key).to_owned(), Value::from(""));
    }
    // The same key rules as custom fields themselves.
    super::custom_fields::CustomFieldsPatch::from_json(&Value::Object(probe))
        .map_err(|e| FieldError::invalid("custom_fields", e.to_string()))?;
    Ok(FormKeySettings {
        name,
        allowed_origins,
        redirect_url,
        custom_fields: custom_fields.into_iter().map(str::to_owned).collect(),
    })
}

/// A sign-up as a form sends it.
#[derive(Debug, Clone, PartialEq)]
pub struct Signup {
    /// The contact to create if the address is new (email, names, allowed custom fields).
    pub patch: ContactPatch,
    /// The honeypot was filled: answer as for a person, write nothing.
    pub bot: bool,
}

/// Reads a sign-up from form fields (or a JSON object's top level): `email` (required),
/// `first_name`, `last_name`, `name`, the custom fields `key` allows (top level, or in a
/// JSON `custom_fields` object), the honeypot. Everything else is ignored.
pub fn parse_signup(fields: &Map<String, Value>, key: &FormKey) -> Result<Signup, FieldError> {
    let bot = fields
        .get(HONEYPOT_FIELD)
        .is_some_and(|v| !matches!(v, Value::Null) && v.as_str() != Some(""));
    let mut write = Map::new();
    for name in ["email", "name", "first_name", "last_name"] {
        if let Some(v) = fields.get(name) {
            write.insert(name.to_owned(), v.clone());
        }
    }
    let nested = fields.get("custom_fields").and_then(Value::as_object);
    let mut custom = Map::new();
    for allowed in &key.settings.custom_fields {
        let given = fields
            .get(allowed)
            .or_else(|| nested.and_then(|n| n.get(allowed)));
        if let Some(v) = given.filter(|v| !v.is_null()) {
            custom.insert(allowed.clone(), v.clone());
        }
    }
    if !custom.is_empty() {
        write.insert("custom_fields".to_owned(), Value::Object(custom));
    }
    let mut patch = parse_contact_patch(&write, EmailRule::Required)?;
    patch.subscribed = Some(false);
    Ok(Signup { patch, bot })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(fields: &[&str]) -> FormKey {
        FormKey {
            id: FormKeyId::generate(),
            workspace_id: WorkspaceId::generate(),
            settings: FormKeySettings {
                custom_fields: fields.iter().map(|f| (*f).to_owned()).collect(),
                allowed_origins: vec!["https://example.com".into()],
                ..FormKeySettings::default()
            },
            created_at: Timestamp::from_millis(1),
            revoked_at: None,
        }
    }

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn keys_have_the_prefix_and_parse_back() {
        let k = FormKeyId::generate();
        assert!(k.as_str().starts_with("pk_"));
        assert_eq!(FormKeyId::parse(k.as_str()), Some(k));
        assert_eq!(FormKeyId::parse("pk_short"), None);
        assert_eq!(FormKeyId::parse("purr_0123456789012345678901"), None);
    }

    #[test]
    fn a_signup_keeps_only_allowed_custom_fields_and_starts_unsubscribed() {
        let s = parse_signup(
            &object(
                json!({"email": "a@example.com", "plan": "pro", "role": "admin",
                "subscribed": true, "custom_fields": {"city": "Oslo"}}),
            ),
            &key(&["plan", "city"]),
        )
        .expect("valid");
        assert_eq!(s.patch.subscribed, Some(false));
        let fields = s.patch.custom_fields.expect("fields");
        let keys: Vec<&str> = fields.entries().iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["plan", "city"]);
        assert!(!s.bot);
    }

    #[test]
    fn a_filled_honeypot_marks_a_bot_and_an_empty_one_does_not() {
        let k = key(&[]);
        let bot = parse_signup(&object(json!({"email": "a@b.co", "_gotcha": "x"})), &k);
        assert!(bot.expect("valid").bot);
        let person = parse_signup(&object(json!({"email": "a@b.co", "_gotcha": ""})), &k);
        assert!(!person.expect("valid").bot);
    }

    #[test]
    fn a_signup_needs_a_valid_email() {
        assert!(parse_signup(&object(json!({"first_name": "A"})), &key(&[])).is_err());
        assert!(parse_signup(&object(json!({"email": "nope"})), &key(&[])).is_err());
    }

    #[test]
    fn settings_refuse_origins_with_paths_and_bad_urls() {
        let ok = parse_settings(&object(json!({"allowed_origins": ["https://Example.com/"],
            "redirect_url": "https://example.com/thanks", "custom_fields": ["plan"]})))
        .expect("valid");
        assert_eq!(ok.allowed_origins, ["https://example.com"]);
        for bad in [
            json!({"allowed_origins": ["https://example.com/form"]}),
            json!({"allowed_origins": ["example.com"]}),
            json!({"allowed_origins": "https://example.com"}),
            json!({"redirect_url": "javascript:alert(1)"}),
            json!({"custom_fields": ["bad/key"]}),
        ] {
            assert!(parse_settings(&object(bad.clone())).is_err(), "{bad}");
        }
    }

    #[test]
    fn origins_match_exactly() {
        let k = key(&[]);
        assert!(k.allows_origin("https://example.com"));
        assert!(!k.allows_origin("https://example.com.evil.test"));
        assert!(!k.allows_origin("http://example.com"));
    }
}
