//! Amazon SES notifications as SNS delivers them: the SNS envelope (its type, the string
//! its signature covers) and the SES notification in its `Message` as [`InboundReport`]s:
//! `Bounce` with `bounceType` `Permanent` stops mail, `Transient` and `Undetermined` are
//! soft; `Complaint` stops mail; other notifications (deliveries, …) are not ours.
//! Shapes: https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html,
//! https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html,
//! https://docs.aws.amazon.com/ses/latest/dg/notification-contents.html.

use super::{InboundReport, Provider, ReportKind};
use crate::domain::patch_input::FieldError;
use base64::Engine;
use serde_json::{Map, Value, json};

/// The kinds of SNS message an HTTP subscriber gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnsType {
    /// A new subscription: confirm it by fetching `SubscribeURL`.
    SubscriptionConfirmation,
    /// A published message (here: an SES notification).
    Notification,
    /// The subscription was removed.
    UnsubscribeConfirmation,
}

/// The hash an SNS signature is made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureVersion {
    /// `SignatureVersion` 1: SHA1withRSA.
    Sha1,
    /// `SignatureVersion` 2: SHA256withRSA.
    Sha256,
}

/// An SNS message as posted to an HTTP endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnsMessage {
    /// `Type`.
    pub kind: SnsType,
    /// `MessageId`.
    pub message_id: String,
    /// `TopicArn`.
    pub topic_arn: String,
    /// `Subject`, which notifications may have.
    pub subject: Option<String>,
    /// `Message`: for a notification, the SES notification as JSON text.
    pub message: String,
    /// `Timestamp`.
    pub timestamp: String,
    /// `SignatureVersion`.
    pub signature_version: SignatureVersion,
    /// `Signature`, decoded from base64.
    pub signature: Vec<u8>,
    /// `SigningCertURL`: where the certificate of the signing key is.
    pub signing_cert_url: String,
    /// `SubscribeURL` of a confirmation.
    pub subscribe_url: Option<String>,
    /// `Token` of a confirmation.
    pub token: Option<String>,
}

fn bad(field: &str, message: &str) -> FieldError {
    FieldError::invalid(field, message)
}

fn required(body: &Map<String, Value>, field: &str) -> Result<String, FieldError> {
    body.get(field)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            bad(
                field,
                &format!("An SNS message must have `{field}` as a string."),
            )
        })
}

fn optional(body: &Map<String, Value>, field: &str) -> Option<String> {
    body.get(field).and_then(Value::as_str).map(str::to_owned)
}

impl SnsMessage {
    /// Reads an SNS message body; every field the signature covers must be there.
    pub fn read(body: &Map<String, Value>) -> Result<SnsMessage, FieldError> {
        let kind = match required(body, "Type")?.as_str() {
            "SubscriptionConfirmation" => SnsType::SubscriptionConfirmation,
            "Notification" => SnsType::Notification,
            "UnsubscribeConfirmation" => SnsType::UnsubscribeConfirmation,
            _ => return Err(bad("Type", "Unknown SNS message `Type`.")),
        };
        let signature_version = match required(body, "SignatureVersion")?.as_str() {
            "1" => SignatureVersion::Sha1,
            "2" => SignatureVersion::Sha256,
            _ => {
                return Err(bad(
                    "SignatureVersion",
                    "`SignatureVersion` must be \"1\" or \"2\".",
                ));
            }
        };
        let signature = base64::engine::general_purpose::STANDARD
            .decode(required(body, "Signature")?.trim())
            .map_err(|_| bad("Signature", "`Signature` must be base64."))?;
        let confirmation = kind != SnsType::Notification;
        let needed = |field: &str| -> Result<Option<String>, FieldError> {
            if confirmation {
                required(body, field).map(Some)
            } else {
                Ok(None)
            }
        };
        Ok(SnsMessage {
            kind,
            message_id: required(body, "MessageId")?,
            topic_arn: required(body, "TopicArn")?,
            subject: optional(body, "Subject").filter(|_| !confirmation),
            message: required(body, "Message")?,
            timestamp: required(body, "Timestamp")?,
            signature_version,
            signature,
            signing_cert_url: required(body, "SigningCertURL")?,
            subscribe_url: needed("SubscribeURL")?,
            token: needed("Token")?,
        })
    }

    /// The string SNS signs: `Name\nvalue\n` for each signed field, in the documented order.
    pub fn string_to_sign(&self) -> String {
        let mut pairs: Vec<(&str, &str)> =
            vec![("Message", &self.message), ("MessageId", &self.message_id)];
        match self.kind {
            SnsType::Notification => {
                if let Some(subject) = &self.subject {
                    pairs.push(("Subject", subject));
                }
                pairs.push(("Timestamp", &self.timestamp));
            }
            _ => {
                pairs.push(("SubscribeURL", self.subscribe_url.as_deref().unwrap_or("")));
                pairs.push(("Timestamp", &self.timestamp));
                pairs.push(("Token", self.token.as_deref().unwrap_or("")));
            }
        }
        pairs.push(("TopicArn", &self.topic_arn));
        let kind = match self.kind {
            SnsType::SubscriptionConfirmation => "SubscriptionConfirmation",
            SnsType::Notification => "Notification",
            SnsType::UnsubscribeConfirmation => "UnsubscribeConfirmation",
        };
        pairs.push(("Type", kind));
        pairs
            .into_iter()
            .map(|(name, value)| format!("{name}\n{value}\n"))
            .collect()
    }
}

/// `name@example.com` out of `"Name" <name@example.com>` as well as out of a bare address.
fn bare_address(text: &str) -> String {
    match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => text[open + 1..close].trim().to_owned(),
        _ => text.trim().to_owned(),
    }
}

/// The reports in an SES notification (the `Message` of an SNS notification), one per
/// recipient; none for a notification that is not a bounce or complaint. `sns` is the
/// envelope, whose ids join each report's detail.
pub fn reports(sns: &SnsMessage) -> Result<Vec<InboundReport>, FieldError> {
    let notification: Value = serde_json::from_str(&sns.message)
        .map_err(|_| bad("Message", "An SES notification's `Message` must be JSON."))?;
    let Some(notification) = notification.as_object() else {
        return Err(bad(
            "Message",
            "An SES notification's `Message` must be a JSON object.",
        ));
    };
    // Notifications say `notificationType`; event publishing says `eventType`.
    let kind = notification
        .get("notificationType")
        .or_else(|| notification.get("eventType"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let (section, list, report_kind) = match kind {
        "Bounce" => {
            let bounce = notification.get("bounce").and_then(Value::as_object);
            let kind = match bounce
                .and_then(|b| b.get("bounceType"))
                .and_then(Value::as_str)
            {
                Some("Permanent") => ReportKind::HardBounce,
                _ => ReportKind::SoftBounce,
            };
            ("bounce", "bouncedRecipients", kind)
        }
        "Complaint" => ("complaint", "complainedRecipients", ReportKind::Complaint),
        _ => return Ok(Vec::new()),
    };
    let Some(details) = notification.get(section).and_then(Value::as_object) else {
        return Err(bad(
            "Message",
            &format!("An SES {kind} notification must have `{section}`."),
        ));
    };
    let Some(recipients) = details.get(list).and_then(Value::as_array) else {
        return Err(bad(
            "Message",
            &format!("An SES {kind} notification must list `{section}.{list}`."),
        ));
    };
    let mut reports = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        let Some(address) = recipient.get("emailAddress").and_then(Value::as_str) else {
            return Err(bad(
                "Message",
                &format!("Each of `{section}.{list}` must have `emailAddress`."),
            ));
        };
        let mut detail = json!({
            "notificationType": kind,
            "sns_message_id": sns.message_id,
            "topic_arn": sns.topic_arn,
            "mail_message_id": notification.get("mail").and_then(|m| m.get("messageId")),
        });
        if let Some(map) = detail.as_object_mut() {
            for key in [
                "bounceType",
                "bounceSubType",
                "complaintFeedbackType",
                "complaintSubType",
                "feedbackId",
                "timestamp",
            ] {
                if let Some(value) = details.get(key) {
                    map.insert(key.to_owned(), value.clone());
                }
            }
            for key in ["action", "status", "diagnosticCode"] {
                if let Some(value) = recipient.get(key) {
                    map.insert(key.to_owned(), value.clone());
                }
            }
        }
        reports.push(InboundReport {
            email: bare_address(address),
            kind: report_kind,
            provider: Provider::Ses,
            detail,
        });
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn envelope(message: Value) -> SnsMessage {
        SnsMessage {
            kind: SnsType::Notification,
            message_id: "m-1".into(),
            topic_arn: "arn:aws:sns:us-east-1:123456789012:ses".into(),
            subject: None,
            message: message.to_string(),
            timestamp: "2024-05-01T10:00:00.000Z".into(),
            signature_version: SignatureVersion::Sha256,
            signature: Vec::new(),
            signing_cert_url: String::new(),
            subscribe_url: None,
            token: None,
        }
    }

    #[test]
    fn permanent_bounces_stop_mail_and_transient_ones_do_not() {
        let bounce = |t: &str| {
            reports(&envelope(json!({"notificationType": "Bounce", "bounce": {"bounceType": t,
                "bouncedRecipients": [{"emailAddress": "\"A\" <a@example.com>"}, {"emailAddress": "b@example.com"}]}})))
            .expect("read")
        };
        let permanent = bounce("Permanent");
        assert_eq!(permanent.len(), 2);
        assert_eq!(permanent[0].email, "a@example.com");
        assert_eq!(permanent[0].kind, ReportKind::HardBounce);
        assert_eq!(bounce("Transient")[1].kind, ReportKind::SoftBounce);
        assert_eq!(bounce("Undetermined")[0].kind, ReportKind::SoftBounce);
    }

    #[test]
    fn complaints_and_other_notifications() {
        let complaint = reports(&envelope(json!({"notificationType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": "c@example.com"}]}})))
        .expect("read");
        assert_eq!(complaint[0].kind, ReportKind::Complaint);
        assert!(
            reports(&envelope(json!({"notificationType": "Delivery"})))
                .expect("read")
                .is_empty()
        );
        assert!(reports(&envelope(json!({"notificationType": "Bounce"}))).is_err());
        assert!(
            reports(&SnsMessage {
                message: "not json".into(),
                ..envelope(json!({}))
            })
            .is_err()
        );
    }

    #[test]
    fn the_string_to_sign_follows_the_documented_order() {
        let mut sns = envelope(json!({}));
        sns.subject = Some("S".into());
        assert_eq!(
            sns.string_to_sign(),
            "Message\n{}\nMessageId\nm-1\nSubject\nS\nTimestamp\n2024-05-01T10:00:00.000Z\n\
             TopicArn\narn:aws:sns:us-east-1:123456789012:ses\nType\nNotification\n"
        );
        sns.kind = SnsType::SubscriptionConfirmation;
        sns.subscribe_url = Some("https://x".into());
        sns.token = Some("t".into());
        assert!(
            sns.string_to_sign()
                .contains("SubscribeURL\nhttps://x\nTimestamp\n")
        );
        assert!(!sns.string_to_sign().contains("Subject"));
    }
}
