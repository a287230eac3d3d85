//! A page of an endpoint's feed with the messages of the events it wants. A message is
//! built once per event for all the endpoints of this node: a bounded cache keyed by the
//! event's id keeps the newest ones, so the endpoints of one workspace, walking the same
//! events a moment apart, share one read and one serialisation per event; the events a
//! page misses are rebuilt from one read of the store (`message::for_events`).

use crate::domain::webhooks::{WebhookEndpoint, event_type};
use crate::store::{EventQuery, ServerStore, StoreError};
use crate::webhooks::message::{self, Message};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Messages kept for other endpoints (about 1–2 KiB each).
const KEPT: usize = 4096;

/// The messages built lately, by event id.
#[derive(Default)]
pub(super) struct Built {
    messages: Mutex<BTreeMap<i64, Arc<Message>>>,
}

impl Built {
    fn get(&self, seq: i64) -> Option<Arc<Message>> {
        self.messages.lock().ok()?.get(&seq).cloned()
    }

    fn keep(&self, message: &Arc<Message>, seq: i64) {
        if let Ok(mut kept) = self.messages.lock() {
            kept.insert(seq, Arc::clone(message));
            while kept.len() > KEPT {
                kept.pop_first();
            }
        }
    }
}

/// Feed events after a cursor, in feed order: each with its message, or `None` for a type
/// the endpoint does not receive (its cursor just moves past it).
pub(super) struct Page {
    /// The cursor it was read after.
    pub after: i64,
    /// The events' ids and messages.
    pub events: Vec<(i64, Option<Arc<Message>>)>,
}

impl Page {
    /// The last event's id, or the cursor it was read after.
    pub fn last(&self) -> i64 {
        self.events.last().map_or(self.after, |(seq, _)| *seq)
    }
}

/// Reads up to `limit` events of the endpoint's workspace after `after` and their messages.
pub(super) async fn read(
    store: Arc<dyn ServerStore>,
    built: Arc<Built>,
    endpoint: WebhookEndpoint,
    after: i64,
    limit: u32,
) -> Result<Page, StoreError> {
    let events = store
        .list_events(EventQuery {
            workspace: endpoint.workspace_id.clone(),
            after,
            limit,
            contact: None,
        })
        .await?;
    let wanted = |e: &crate::domain::events::StoredEvent| endpoint.wants(&event_type(e.event.kind));
    let mut page = Vec::with_capacity(events.len());
    let mut missing = Vec::new();
    for e in &events {
        let message = if wanted(e) { built.get(e.seq) } else { None };
        if wanted(e) && message.is_none() {
            missing.push(e.clone());
        }
        page.push((e.seq, message));
    }
    let mut fresh = message::for_events(&*store, &missing).await?.into_iter();
    for ((seq, message), e) in page.iter_mut().zip(&events) {
        if wanted(e) && message.is_none() {
            let m =
                Arc::new(fresh.next().ok_or_else(|| {
                    StoreError::Internal("fewer messages than events".to_owned())
                })?);
            built.keep(&m, *seq);
            *message = Some(m);
        }
    }
    Ok(Page {
        after,
        events: page,
    })
}
