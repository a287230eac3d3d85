//! The `"confirm": true` extension of PUT and bulk (double opt-in, api.md §8): after the
//! write, each contact it names is asked to confirm (`contact.confirmation_requested`, with
//! the link, in the feed and so in webhooks). A contact subscribed already is not asked.

use crate::domain::confirmation::RequestEvidence;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::middleware::auth::Caller;
use crate::store::{ConfirmationRequest, RequestOutcome};

/// Asks `contacts` of `workspace` to confirm, as the caller's change from `source`
/// (`api` or `bulk`); one outcome per contact, in order.
pub async fn ask_to_confirm(
    state: &AppState,
    caller: &Caller,
    workspace: WorkspaceId,
    contacts: Vec<ContactId>,
    source: &str,
) -> Result<Vec<RequestOutcome>, ApiError> {
    if contacts.is_empty() {
        return Ok(Vec::new());
    }
    let request = ConfirmationRequest {
        workspace,
        public_base: state.opt_in.public_base.clone(),
        ttl_millis: state.opt_in.ttl_millis(),
        actor: caller.actor(),
        evidence: RequestEvidence::from_source(source),
        now: Timestamp::now(),
    };
    Ok(state.store.request_confirmations(contacts, request).await?)
}

/// How an item's request to confirm turned out, as the bulk answer shows it.
pub fn outcome_name(outcome: &RequestOutcome) -> &'static str {
    match outcome {
        RequestOutcome::Requested(_) => "requested",
        RequestOutcome::AlreadySubscribed => "already_subscribed",
        RequestOutcome::NotFound => "not_found",
    }
}
