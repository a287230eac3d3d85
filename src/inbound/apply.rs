//! What a sending service's report does to a workspace: the ONE place that acts on an
//! [`InboundReport`], whichever provider sent it.

use super::InboundReport;
use crate::domain::email::EmailAddress;
use crate::domain::events::Actor;
use crate::domain::evidence::{Evidence, Origin};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::{ContactQuery, ServerStore, StoreError};
use serde_json::{Value, json};

/// What applying a report did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The contact's address is suppressed now (`bounced` for a hard bounce, `complained`
    /// for a complaint), and so it is unsubscribed.
    Suppressed(ContactId),
    /// The report is in the contact's history and changed nothing (a soft bounce, or an
    /// address already unsubscribed).
    Recorded(ContactId),
    /// No contact of the workspace has this address: nothing was written.
    UnknownAddress,
}

impl Applied {
    /// `suppressed`, `recorded` or `unknown_address`, as the inbound answer says it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Applied::Suppressed(_) => "suppressed",
            Applied::Recorded(_) => "recorded",
            Applied::UnknownAddress => "unknown_address",
        }
    }
}

/// The evidence a report's event keeps: the request's (`request`: the provider's address
/// and user agent, the request id) with the provider as source and what it reported.
fn report_evidence(report: &InboundReport, request: &Evidence) -> Evidence {
    let mut provider = json!({"report": report.kind.as_str()});
    if let (Some(map), Value::Object(detail)) = (provider.as_object_mut(), &report.detail) {
        map.extend(detail.clone());
    }
    Evidence {
        source: report.provider.source().to_owned(),
        provider: Some(provider),
        consent: None,
        ..request.clone()
    }
}

/// Applies one report to `workspace`: a hard bounce suppresses the contact's address as
/// `bounced`, a complaint as `complained` (`SuppressionStore::suppress_address`: the
/// contact is unsubscribed and a `suppressed` event records it, source `postmark`/`ses`,
/// the provider's details in its evidence), so no later import or sync re-subscribes it;
/// a soft bounce, or a report that changes nothing (the address already suppressed for
/// that reason), is recorded as a `reported` event; an address no contact has changes
/// nothing.
pub async fn apply_inbound(
    store: &dyn ServerStore,
    workspace: &WorkspaceId,
    report: &InboundReport,
    request: &Evidence,
    now: Timestamp,
) -> Result<Applied, StoreError> {
    let Ok(email) = EmailAddress::parse(&report.email) else {
        return Ok(Applied::UnknownAddress);
    };
    let page = store
        .list_contacts(ContactQuery {
            workspace: workspace.clone(),
            email: Some(email.normalized().to_owned()),
            subscribed: None,
            limit: 1,
            after: None,
            offset: 0,
        })
        .await?;
    let Some(contact) = page.contacts.into_iter().next() else {
        return Ok(Applied::UnknownAddress);
    };
    let origin = Origin::new(Actor::Inbound, report_evidence(report, request));
    if let Some(reason) = report.kind.suppression_reason() {
        let outcome = store
            .suppress_address(workspace, &email, reason, origin.clone(), now)
            .await?;
        if outcome.changed {
            return Ok(Applied::Suppressed(contact.id));
        }
    }
    if store
        .record_report(workspace, &contact.id, origin, now)
        .await?
    {
        Ok(Applied::Recorded(contact.id))
    } else {
        Ok(Applied::UnknownAddress)
    }
}
