//! Consent evidence: how each change of the feed came about (api.md §8). Every event
//! keeps, beside its actor, the [`Evidence`] of the write: its source (`api`, `bulk`,
//! `import:<format>`, `unsubscribe_link`, `cli`, `postmark`, `ses`, …), the client's IP
//! address and user agent, the request id, and the end user's own evidence (`consent`)
//! when an integrator forwards a sign-up. Stored as one JSON object per event.

use super::bulk::{BulkItem, ItemResult};
use super::events::Actor;
use super::ids::ContactId;
use super::patch_input::FieldError;
use super::timestamp::Timestamp;
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

/// Longest `source` a client may give in `consent`.
pub const MAX_CONSENT_SOURCE: usize = 256;
/// Longest user agent kept (a longer one is cut at a character boundary).
pub const MAX_USER_AGENT: usize = 512;

/// The sources purrlist itself names (a client's own `consent.source` is free text).
pub mod sources {
    /// One contact written through the API (`PUT`, `DELETE` of one contact).
    pub const API: &str = "api";
    /// `POST /v1/contacts` and `DELETE /v1/contacts`.
    pub const BULK: &str = "bulk";
    /// The unsubscribe pages and one-click unsubscribe.
    pub const UNSUBSCRIBE_LINK: &str = "unsubscribe_link";
    /// A command run on the server.
    pub const CLI: &str = "cli";
    /// A Postmark bounce or spam-complaint webhook.
    pub const POSTMARK: &str = "postmark";
    /// An Amazon SES notification through SNS.
    pub const SES: &str = "ses";
}

/// The end user's evidence an integrator forwards with a write (`"consent": {…}` on a PUT
/// or a bulk item): where they signed up, from which address and browser, and when.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Consent {
    /// Where the person agreed, in the integrator's words (`signup-form`, a page URL).
    pub source: Option<String>,
    /// The person's IP address.
    pub ip: Option<IpAddr>,
    /// The person's browser.
    pub user_agent: Option<String>,
    /// When they agreed.
    pub at: Option<Timestamp>,
}

/// What is kept with one event about how it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// Where the change came from ([`sources`], or `import:<format>`).
    pub source: String,
    /// The client's address: the socket peer, or `X-Forwarded-For` behind a trusted proxy.
    pub ip: Option<IpAddr>,
    /// The client's `User-Agent`.
    pub user_agent: Option<String>,
    /// The request id (`x-request-id`) of the write.
    pub request_id: Option<String>,
    /// The end user's evidence, when the client forwarded it.
    pub consent: Option<Consent>,
    /// What a sending service said (Postmark's or SES's bounce or complaint details).
    pub provider: Option<Value>,
}

impl Evidence {
    /// Evidence with only a source (a write that has no request: the CLI, an import file).
    pub fn from_source(source: impl Into<String>) -> Evidence {
        Evidence {
            source: source.into(),
            ip: None,
            user_agent: None,
            request_id: None,
            consent: None,
            provider: None,
        }
    }

    /// The evidence of an event stored before evidence was kept: the source its actor implies.
    pub fn implied_by(actor: &Actor) -> Evidence {
        Evidence::from_source(match actor {
            Actor::ApiKey(_) => sources::API.to_owned(),
            Actor::UnsubscribeLink => sources::UNSUBSCRIBE_LINK.to_owned(),
            Actor::Cli => sources::CLI.to_owned(),
            Actor::Import(format) => format!("import:{}", format.name()),
            Actor::Inbound => "inbound".to_owned(),
            Actor::ConfirmationLink => "confirmation_link".to_owned(),
            Actor::Form(_) => "form".to_owned(),
            Actor::Expiry => "expiry".to_owned(),
            Actor::Dashboard(_) => "dashboard".to_owned(),
        })
    }

    /// What is stored for this evidence of a change `actor` made: its JSON, or `None` when
    /// it says no more than the actor implies (a CLI import, a command), because a stored
    /// event without evidence reads back as [`Evidence::implied_by`] its actor. A 1M-row
    /// import then writes no evidence row per contact.
    pub fn stored_form(&self, actor: &Actor) -> Option<String> {
        (*self != Evidence::implied_by(actor)).then(|| self.to_json().to_string())
    }

    /// The same evidence with the end user's `consent` (if any) in place of this one's.
    pub fn with_consent(&self, consent: Option<Consent>) -> Evidence {
        Evidence {
            consent,
            ..self.clone()
        }
    }

    /// The stored and shown form: `{"source", "ip", "user_agent", "request_id", "consent"}`
    /// (`provider` only when a sending service reported the change).
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("source".into(), Value::from(self.source.as_str()));
        map.insert("ip".into(), ip_json(self.ip));
        map.insert("user_agent".into(), text_json(self.user_agent.as_deref()));
        map.insert("request_id".into(), text_json(self.request_id.as_deref()));
        map.insert(
            "consent".into(),
            self.consent.as_ref().map_or(Value::Null, Consent::to_json),
        );
        if let Some(provider) = &self.provider {
            map.insert("provider".into(), provider.clone());
        }
        Value::Object(map)
    }

    /// Evidence read back from its stored form; `None` when it is not of that form.
    pub fn from_json(value: &Value) -> Option<Evidence> {
        let map = value.as_object()?;
        Some(Evidence {
            source: map.get("source")?.as_str()?.to_owned(),
            ip: map
                .get("ip")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok()),
            user_agent: owned_text(map.get("user_agent")),
            request_id: owned_text(map.get("request_id")),
            consent: map
                .get("consent")
                .filter(|c| !c.is_null())
                .map(|c| parse_consent(c).ok().flatten().unwrap_or_default()),
            provider: map.get("provider").filter(|p| !p.is_null()).cloned(),
        })
    }
}

impl Consent {
    /// `{"source", "ip", "user_agent", "at"}`, nulls for what was not given.
    pub fn to_json(&self) -> Value {
        json!({
            "source": self.source,
            "ip": ip_json(self.ip),
            "user_agent": self.user_agent,
            "at": self.at.map(Timestamp::to_rfc3339),
        })
    }
}

fn ip_json(ip: Option<IpAddr>) -> Value {
    ip.map_or(Value::Null, |ip| Value::String(ip.to_string()))
}

fn text_json(text: Option<&str>) -> Value {
    text.map_or(Value::Null, Value::from)
}

fn owned_text(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

/// Who made a write and the evidence its events keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Who made it.
    pub actor: Actor,
    /// How it happened.
    pub evidence: Evidence,
}

impl Origin {
    /// `actor`'s write with `evidence`.
    pub fn new(actor: Actor, evidence: Evidence) -> Origin {
        Origin { actor, evidence }
    }
}

impl From<Actor> for Origin {
    /// A write with no request behind it: only the source the actor implies.
    fn from(actor: Actor) -> Origin {
        let evidence = Evidence::implied_by(&actor);
        Origin { actor, evidence }
    }
}

/// The evidence each event of one write keeps: the request's own, with, for a contact a
/// bulk item carrying `consent` wrote, that item's consent (the last such item's, as later
/// items win).
#[derive(Debug, Clone)]
pub struct WriteEvidence<'a> {
    base: &'a Evidence,
    consents: HashMap<&'a ContactId, &'a Consent>,
}

impl<'a> WriteEvidence<'a> {
    /// Every event of the write keeps `base`.
    pub fn same_for_all(base: &'a Evidence) -> WriteEvidence<'a> {
        WriteEvidence {
            base,
            consents: HashMap::new(),
        }
    }

    /// A bulk request's: `results` are the plan's, one per item of `items`.
    pub fn for_bulk(
        base: &'a Evidence,
        items: &'a [BulkItem],
        results: &'a [ItemResult],
    ) -> WriteEvidence<'a> {
        let mut consents = HashMap::new();
        for result in results {
            if let Some(consent) = items.get(result.index).and_then(|i| i.consent.as_ref()) {
                consents.insert(&result.id, consent);
            }
        }
        WriteEvidence { base, consents }
    }

    /// The evidence of the event of `contact`.
    pub fn of(&self, contact: &ContactId) -> Cow<'a, Evidence> {
        match self.consents.get(contact) {
            Some(consent) => Cow::Owned(self.base.with_consent(Some((*consent).clone()))),
            None => Cow::Borrowed(self.base),
        }
    }
}

/// A user agent as kept: at most [`MAX_USER_AGENT`] bytes, control characters dropped.
pub fn clean_user_agent(raw: &str) -> Option<String> {
    let mut kept = String::new();
    for c in raw.trim().chars().filter(|c| !c.is_control()) {
        if kept.len() + c.len_utf8() > MAX_USER_AGENT {
            break;
        }
        kept.push(c);
    }
    (!kept.is_empty()).then_some(kept)
}

fn invalid(message: &str) -> FieldError {
    FieldError::invalid("consent", message)
}

fn optional_text(
    map: &Map<String, Value>,
    key: &str,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max && !s.chars().any(char::is_control) => {
            Ok((!s.trim().is_empty()).then(|| s.trim().to_owned()))
        }
        Some(_) => Err(invalid(&format!(
            "`consent.{key}` must be a string of at most {max} characters, without control characters."
        ))),
    }
}

/// Reads the `consent` extension of a PUT body or bulk item: `null` or absent is none; an
/// object with `source`, `ip` (an IPv4 or IPv6 address), `user_agent` and `at` (RFC 3339),
/// each optional; other keys are ignored. Anything else is an `invalid_field` on `consent`.
pub fn parse_consent(value: &Value) -> Result<Option<Consent>, FieldError> {
    let map = match value {
        Value::Null => return Ok(None),
        Value::Object(map) => map,
        _ => {
            return Err(invalid(
                "`consent` must be an object: {\"source\", \"ip\", \"user_agent\", \"at\"}.",
            ));
        }
    };
    let source = optional_text(map, "source", MAX_CONSENT_SOURCE)?;
    let ip = match map.get("ip") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(
            s.trim()
                .parse::<IpAddr>()
                .map_err(|_| invalid("`consent.ip` must be an IPv4 or IPv6 address."))?,
        ),
        Some(_) => return Err(invalid("`consent.ip` must be an IPv4 or IPv6 address.")),
    };
    let user_agent = optional_text(map, "user_agent", MAX_USER_AGENT)?;
    let at = match map.get("at") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_instant(s).ok_or_else(|| {
            invalid(
                "`consent.at` must be a date and time in RFC 3339 form, e.g. 2024-05-01T10:00:00Z.",
            )
        })?),
        Some(_) => {
            return Err(invalid(
                "`consent.at` must be a date and time in RFC 3339 form, e.g. 2024-05-01T10:00:00Z.",
            ));
        }
    };
    Ok(Some(Consent {
        source,
        ip,
        user_agent,
        at,
    }))
}

/// An RFC 3339 date and time (with an offset), to the millisecond.
fn parse_instant(text: &str) -> Option<Timestamp> {
    let parsed =
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .ok()?;
    let millis = i64::try_from(parsed.unix_timestamp_nanos() / 1_000_000).ok()?;
    Some(Timestamp::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_consent_is_read_and_shown_back() {
        let consent = parse_consent(&json!({
            "source": "signup-form", "ip": "2001:db8::1", "user_agent": "Firefox",
            "at": "2024-05-01T12:00:00+02:00", "extra": 1
        }))
        .expect("valid")
        .expect("given");
        assert_eq!(
            consent.to_json(),
            json!({"source": "signup-form", "ip": "2001:db8::1", "user_agent": "Firefox",
                   "at": "2024-05-01T10:00:00.000Z"})
        );
    }

    #[test]
    fn bad_shapes_are_refused_on_the_consent_field() {
        for bad in [
            json!("yes"),
            json!([1]),
            json!({"ip": "300.1.1.1"}),
            json!({"ip": 7}),
            json!({"at": "yesterday"}),
            json!({"at": "2024-05-01"}),
            json!({"source": 5}),
            json!({"source": "x".repeat(MAX_CONSENT_SOURCE + 1)}),
            json!({"user_agent": "a\u{7}b"}),
        ] {
            let error = parse_consent(&bad).expect_err("refused");
            assert_eq!(error.field, "consent", "{bad}");
        }
        assert_eq!(parse_consent(&Value::Null), Ok(None));
    }

    #[test]
    fn evidence_survives_its_stored_form() {
        let evidence = Evidence {
            source: "bulk".into(),
            ip: "203.0.113.9".parse().ok(),
            user_agent: Some("curl/8".into()),
            request_id: Some("req-1".into()),
            consent: Some(Consent {
                source: Some("form".into()),
                ..Consent::default()
            }),
            provider: Some(json!({"RecordType": "Bounce"})),
        };
        assert_eq!(Evidence::from_json(&evidence.to_json()), Some(evidence));
    }

    #[test]
    fn old_events_get_the_source_their_actor_implies() {
        assert_eq!(Evidence::implied_by(&Actor::Cli).source, "cli");
        assert_eq!(
            Evidence::implied_by(&Actor::UnsubscribeLink).source,
            "unsubscribe_link"
        );
    }

    #[test]
    fn evidence_the_actor_implies_is_not_stored_and_reads_back_the_same() {
        use crate::domain::import_format::Format;
        let actor = Actor::Import(Format::Mailchimp);
        let implied = Evidence::implied_by(&actor);
        assert_eq!(implied.stored_form(&actor), None);
        assert_eq!(
            implied
                .stored_form(&Actor::Cli)
                .as_deref()
                .map(|s| s.contains("import:mailchimp")),
            Some(true)
        );
        let with_ip = Evidence {
            ip: "203.0.113.9".parse().ok(),
            ..implied.clone()
        };
        let stored = with_ip
            .stored_form(&actor)
            .expect("an IP is more than the actor says");
        assert_eq!(
            Evidence::from_json(&serde_json::from_str(&stored).expect("JSON")),
            Some(with_ip)
        );
    }

    #[test]
    fn user_agents_are_cut_and_cleaned() {
        assert_eq!(clean_user_agent("  "), None);
        assert_eq!(clean_user_agent("a\nb").as_deref(), Some("ab"));
        let long = "é".repeat(MAX_USER_AGENT);
        assert!(clean_user_agent(&long).expect("kept").len() <= MAX_USER_AGENT);
    }
}
