//! Postmark's webhooks as [`InboundReport`]s: `RecordType` `Bounce` (hard types stop mail,
//! the rest are soft; a `SpamComplaint` type is a complaint), `SpamComplaint`, and, for
//! broadcast streams, `SubscriptionChange` with `SuppressSending` for a hard bounce or a
//! spam complaint. Every other record type (deliveries, opens, clicks) is not ours: ignored.
//! Shapes: https://postmarkapp.com/developer/webhooks/bounce-webhook,
//! https://postmarkapp.com/developer/webhooks/spam-complaint-webhook,
//! https://postmarkapp.com/developer/webhooks/subscription-change-webhook.

use super::{InboundReport, Provider, ReportKind};
use crate::domain::patch_input::FieldError;
use serde_json::{Map, Value};

/// Bounce `Type`s after which Postmark itself stops mailing the address for good.
const HARD_TYPES: &[&str] = &["HardBounce", "BadEmailAddress", "ManuallyDeactivated"];

/// The fields kept as the report's detail: ids, classification, diagnostics; never the
/// message's content or subject.
const DETAIL_FIELDS: &[&str] = &[
    "RecordType",
    "ID",
    "Type",
    "TypeCode",
    "Name",
    "MessageID",
    "MessageStream",
    "ServerID",
    "Description",
    "Details",
    "BouncedAt",
    "ChangedAt",
    "SuppressionReason",
    "Tag",
];

fn text<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key).and_then(Value::as_str)
}

fn detail(body: &Map<String, Value>) -> Value {
    let kept: Map<String, Value> = DETAIL_FIELDS
        .iter()
        .filter_map(|k| body.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    Value::Object(kept)
}

/// The address a record names, in `field`; a record that should name one and does not is
/// refused (400) so a misconfigured sender notices.
fn address(body: &Map<String, Value>, field: &str) -> Result<String, FieldError> {
    match text(body, field).map(str::trim) {
        Some(email) if !email.is_empty() => Ok(email.to_owned()),
        _ => Err(FieldError::invalid(
            field,
            format!(
                "A Postmark {} record must name the address in `{field}`.",
                record_type(body)
            ),
        )),
    }
}

fn record_type(body: &Map<String, Value>) -> &str {
    text(body, "RecordType").unwrap_or("")
}

/// The report in a Postmark webhook body; `None` for a record that reports no bounce or
/// complaint. A body without `RecordType` is read by its `Type` (older bounce hooks).
pub fn read(body: &Map<String, Value>) -> Result<Option<InboundReport>, FieldError> {
    let (kind, field) = match record_type(body) {
        "SpamComplaint" => (ReportKind::Complaint, "Email"),
        "Bounce" | "" if body.contains_key("Type") => {
            let kind = match text(body, "Type") {
                Some("SpamComplaint" | "SpamNotification") => ReportKind::Complaint,
                Some(t) if HARD_TYPES.contains(&t) => ReportKind::HardBounce,
                _ => ReportKind::SoftBounce,
            };
            (kind, "Email")
        }
        "Bounce" => {
            return Err(FieldError::invalid(
                "Type",
                "A Postmark Bounce record must have a `Type`.",
            ));
        }
        "SubscriptionChange" => {
            let suppressed = body.get("SuppressSending").and_then(Value::as_bool) == Some(true);
            let kind = match text(body, "SuppressionReason") {
                Some("HardBounce") if suppressed => ReportKind::HardBounce,
                Some("SpamComplaint") if suppressed => ReportKind::Complaint,
                _ => return Ok(None),
            };
            (kind, "Recipient")
        }
        _ => return Ok(None),
    };
    Ok(Some(InboundReport {
        email: address(body, field)?,
        kind,
        provider: Provider::Postmark,
        detail: detail(body),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_json(v: Value) -> Result<Option<InboundReport>, FieldError> {
        read(v.as_object().expect("object"))
    }

    #[test]
    fn bounce_types_map_to_hard_soft_and_complaint() {
        let kind = |t: &str| {
            read_json(json!({"RecordType": "Bounce", "Type": t, "Email": "a@example.com"}))
                .expect("read")
                .expect("report")
                .kind
        };
        assert_eq!(kind("HardBounce"), ReportKind::HardBounce);
        assert_eq!(kind("BadEmailAddress"), ReportKind::HardBounce);
        assert_eq!(kind("SoftBounce"), ReportKind::SoftBounce);
        assert_eq!(kind("Transient"), ReportKind::SoftBounce);
        assert_eq!(kind("SpamComplaint"), ReportKind::Complaint);
    }

    #[test]
    fn other_records_are_ignored_and_broken_ones_refused() {
        assert_eq!(
            read_json(json!({"RecordType": "Delivery", "Recipient": "a@example.com"})),
            Ok(None)
        );
        assert!(read_json(json!({"RecordType": "Bounce", "Type": "HardBounce"})).is_err());
        assert!(read_json(json!({"RecordType": "Bounce"})).is_err());
        assert_eq!(
            read_json(
                json!({"RecordType": "SubscriptionChange", "Recipient": "a@example.com",
                "SuppressSending": false, "SuppressionReason": null})
            ),
            Ok(None)
        );
    }

    #[test]
    fn the_detail_leaves_the_content_out() {
        let report = read_json(
            json!({"RecordType": "SpamComplaint", "Email": "a@example.com",
            "ID": 42, "Content": "<dump>", "Subject": "Hi"}),
        )
        .expect("read")
        .expect("report");
        assert_eq!(
            report.detail,
            json!({"RecordType": "SpamComplaint", "ID": 42})
        );
    }
}
