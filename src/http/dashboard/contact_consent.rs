//! A contact's consent record on its page: its suppression state (reason and since when,
//! from the store the API's `/v1/suppressions` uses) and its history from the feed, each
//! event with who made it and how (source, client address, user agent, and the consent an
//! integrator forwarded).

use super::layout::when;
use super::response::error_page;
use crate::domain::contact::Contact;
use crate::domain::events::StoredEvent;
use crate::domain::suppression::Suppression;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::store::EventQuery;
use axum::response::Response;
use maud::{Markup, html};
use serde_json::Value;

/// Most events of a contact's history shown.
const HISTORY_LIMIT: u32 = 200;

/// What the page shows of a contact's consent.
pub(super) struct ConsentRecord {
    /// Its events, newest first.
    pub events: Vec<StoredEvent>,
    /// The suppression of its address, if any.
    pub suppression: Option<Suppression>,
}

/// Reads a contact's history and suppression.
pub(super) async fn consent_record(
    state: &AppState,
    contact: &Contact,
) -> Result<ConsentRecord, Response> {
    let failed = |e| error_page(&ApiError::from(e));
    let mut events = state
        .store
        .list_events(EventQuery {
            workspace: contact.workspace_id.clone(),
            after: 0,
            limit: HISTORY_LIMIT,
            contact: Some(contact.id.clone()),
        })
        .await
        .map_err(failed)?;
    events.reverse();
    let suppression = state
        .store
        .suppression_of(&contact.workspace_id, contact.email.normalized())
        .await
        .map_err(failed)?;
    Ok(ConsentRecord {
        events,
        suppression,
    })
}

/// A value cut to 60 characters, strings without their quotes.
pub(super) fn short(value: &Value) -> String {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(59).collect::<String>())
    } else {
        text
    }
}

/// The suppression state of the contact's address.
pub(super) fn suppression_state(suppression: Option<&Suppression>) -> Markup {
    html! {
        @match suppression {
            None => { dd { "Not suppressed" } }
            Some(s) => {
                dd {
                    span.badge.off { "suppressed: " (s.reason.as_str()) }
                    " since " (when(s.at)) ", by " (s.actor.stored_kind().into_owned())
                }
            }
        }
    }
}

fn how(e: &StoredEvent) -> Markup {
    let evidence = &e.evidence;
    html! {
        div {
            (evidence.source)
            @if let Some(ip) = evidence.ip { br; "IP " (ip.to_string()) }
            @if let Some(agent) = &evidence.user_agent { br; span.muted { (short(&Value::from(agent.as_str()))) } }
            @if let Some(consent) = &evidence.consent {
                br; "Consent: "
                @if let Some(source) = &consent.source { (source) " " }
                @if let Some(ip) = consent.ip { "IP " (ip.to_string()) " " }
                @if let Some(at) = consent.at { "at " (when(at)) }
            }
        }
    }
}

/// The history table, newest first.
pub(super) fn history_table(events: &[StoredEvent]) -> Markup {
    html! {
        @if events.is_empty() {
            p.muted { "No changes are recorded (the feed may have been pruned)." }
        } @else {
            div.table-wrap {
                table {
                    caption.muted { "Changes, newest first" }
                    thead { tr {
                        th scope="col" { "When" }
                        th scope="col" { "What" }
                        th scope="col" { "By" }
                        th scope="col" { "How" }
                        th scope="col" { "Changes" }
                    } }
                    tbody {
                        @for e in events {
                            tr {
                                td data-label="When" { (when(e.created_at)) }
                                td data-label="What" { (e.event.kind.as_str()) }
                                td data-label="By" { div {
                                    (e.actor.stored_kind().into_owned())
                                    @if let Some(key) = e.actor.key_id() { br; code { (key) } }
                                } }
                                td data-label="How" { (how(e)) }
                                td data-label="Changes" { div {
                                    @for (field, change) in &e.event.changes {
                                        div {
                                            strong { (field) } ": "
                                            (short(&change["old"])) " → " (short(&change["new"]))
                                        }
                                    }
                                } }
                            }
                        }
                    }
                }
            }
        }
    }
}
