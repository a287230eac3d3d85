//! The `"confirm": true` extension of PUT and bulk (double opt-in, api.md §8): each
//! contact the write names is asked to confirm (`contact.confirmation_requested`, with the
//! link, in the feed and so in webhooks) in the write's own transaction. A contact
//! subscribed already is not asked.

use crate::domain::confirmation::RequestEvidence;
use crate::domain::timestamp::Timestamp;
use crate::http::AppState;
use crate::http::middleware::auth::Caller;
use crate::store::{AskToConfirm, RequestOutcome};

/// The request to confirm that a write with `"confirm": true` makes, as the caller's
/// change from `source` (`api` or `bulk`); the store writes it in the write's transaction.
pub fn ask_to_confirm(state: &AppState, caller: &Caller, source: &str) -> AskToConfirm {
    AskToConfirm {
        public_base: state.opt_in.public_base.clone(),
        ttl_millis: state.opt_in.ttl_millis(),
        actor: caller.actor(),
        evidence: RequestEvidence::from_source(source),
        now: Timestamp::now(),
    }
}

/// How an item's request to confirm turned out, as the bulk answer shows it.
pub fn outcome_name(outcome: &RequestOutcome) -> &'static str {
    match outcome {
        RequestOutcome::Requested(_) => "requested",
        RequestOutcome::AlreadySubscribed => "already_subscribed",
        RequestOutcome::NotFound => "not_found",
    }
}
