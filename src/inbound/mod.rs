//! Bounces and complaints from the sending service (api.md §8, docs/consent.md#wiring-postmark-and-ses).
//!
//! Each workspace has an inbound secret (`secret`); Postmark and Amazon SES (through SNS)
//! post to `/inbound/postmark/<workspace>/<secret>` and `/inbound/ses/<workspace>/<secret>`.
//! Rooms: `postmark` and `ses` read each provider's payload into [`InboundReport`]s (pure);
//! `sns_signature` checks an SNS message's signature against its certificate (pure);
//! `sns_fetch` fetches SNS certificates and confirms subscriptions (the only I/O here,
//! through one client whose hosts are checked); `apply` is the one function that acts on a
//! report.

pub mod apply;
pub mod postmark;
pub mod secret;
pub mod ses;
pub mod sns_fetch;
pub mod sns_signature;

use crate::domain::suppression::SuppressionReason;
use serde_json::Value;

/// What a sending service reported about one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// The address does not exist or refuses mail for good: stop mailing it.
    HardBounce,
    /// A temporary failure (full mailbox, greylisting, an undetermined bounce): recorded only.
    SoftBounce,
    /// The person marked a message as spam: stop mailing them.
    Complaint,
}

impl ReportKind {
    /// `hard_bounce`, `soft_bounce` or `complaint`, as the event's evidence shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::HardBounce => "hard_bounce",
            ReportKind::SoftBounce => "soft_bounce",
            ReportKind::Complaint => "complaint",
        }
    }

    /// The suppression a report of this kind puts on the address (none for a soft
    /// bounce, which is only recorded).
    pub fn suppression_reason(self) -> Option<SuppressionReason> {
        match self {
            ReportKind::HardBounce => Some(SuppressionReason::Bounced),
            ReportKind::Complaint => Some(SuppressionReason::Complained),
            ReportKind::SoftBounce => None,
        }
    }
}

/// Which sending service reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    /// Postmark's bounce and spam-complaint webhooks.
    Postmark,
    /// Amazon SES notifications delivered by SNS.
    Ses,
}

impl Provider {
    /// `postmark` or `ses`: the source of the events a report writes.
    pub fn source(self) -> &'static str {
        match self {
            Provider::Postmark => crate::domain::evidence::sources::POSTMARK,
            Provider::Ses => crate::domain::evidence::sources::SES,
        }
    }
}

/// One report about one address, before it is applied to a workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundReport {
    /// The address, as the provider wrote it.
    pub email: String,
    /// What happened to it.
    pub kind: ReportKind,
    /// Who reported it.
    pub provider: Provider,
    /// The provider's own details (its ids, bounce type and diagnostics), kept as evidence;
    /// never the message content.
    pub detail: Value,
}

/// How the inbound endpoints reach SNS.
#[derive(Debug, Clone, Default)]
pub struct InboundSettings {
    /// Accept SNS certificate and subscription URLs on any host and over plain HTTP.
    /// Only tests set it (there is no configuration key): in production they must be
    /// `https://sns.<region>.amazonaws.com/…`.
    pub sns_any_host_for_tests: bool,
    /// Fetched signing certificates, by URL.
    pub certificates: sns_fetch::CertificateCache,
    /// Where senders reach this server (`public_url`), for the URLs an inbound secret's
    /// answer shows.
    pub public_url: String,
}
