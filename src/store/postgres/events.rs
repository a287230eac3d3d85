//! The change feed on PostgreSQL ([`EventStore`], and the events every write records),
//! without making writers of one workspace wait for each other.
//!
//! The problem: `seq` values are handed out in call order, not commit order, so a reader
//! could see seq 11 committed while seq 10 is still in flight, move its cursor past 10,
//! and never see it. (Until PostgreSQL migration 6 every writer held a per-workspace advisory lock
//! from taking its seqs to its commit, which made a workspace's commits one at a time.)
//!
//! The rule: every event stores `feed_xid`, the id of the transaction that wrote it
//! (`pg_current_xact_id()`), raised to the `feed_xid` of the contact's latest event if
//! that is higher. The feed is read in `(feed_xid, seq)` order, and a read serves only
//! events with `feed_xid` below `h`, the xmin of the reading statement's own snapshot
//! (`pg_snapshot_xmin(pg_current_snapshot())`, the oldest transaction still running).
//!
//! Why no cursor skips: an event becomes visible to a later read only if its transaction
//! was running, or not yet started, when an earlier read took its snapshot; either way its
//! transaction id, and so its `feed_xid` (never lower), is at least that earlier read's
//! `h`. Every event the earlier read served has `feed_xid < h`, so every event that shows
//! up later sorts after all of them, and after any cursor the earlier read handed out.
//! And an event with `feed_xid < h` belongs to a transaction that had ended when the
//! snapshot was taken (its id is at most `feed_xid`), so if it committed the read sees it:
//! the set of events below `h` is final once `h` is reached. Reads page through that final,
//! ordered set, so nothing repeats either.
//!
//! Why each contact's events stay in commit order: a write holds the contact's row lock
//! (`FOR UPDATE`, or the lock an `UPDATE`/`DELETE` takes) to its commit, so the next write
//! of that contact inserts its event after that commit, in a statement whose snapshot sees
//! the earlier event: its `seq` is higher, and its `feed_xid` is at least the earlier one
//! (that is what the raise is for: transaction ids are taken when a transaction first
//! writes anything, say an idempotency key or another contact, not when it reaches this
//! contact). A write that began after another was acknowledged gets a higher transaction
//! id than any `feed_xid` that write recorded, so it also comes after. Events of different
//! contacts written concurrently may come in either order; no reader can tell.
//!
//! Batched writes (`write_batch`: one transaction carries the PUTs of several requests)
//! change none of this. Their events share the batch's transaction id, and the argument
//! above is about transactions: a transaction's events commit, and become visible,
//! together, and every one of them is at or above the `h` of any read that could not see
//! it. Within the transaction they are inserted in the order the batch applied the writes
//! (one statement, in order), so their seqs, which break the tie of equal `feed_xid`s,
//! keep a contact's events in that order when one batch writes a contact twice. A request
//! is answered only after its batch commits, so a write that begins after another was
//! acknowledged still gets a later transaction (and a higher id).
//!
//! What it costs: a read waits while a transaction older than the events it found is still
//! running ([`SETTLE_WAIT`] at most, then it serves what is settled and the rest comes with
//! the next read). Transaction ids and snapshots are cluster-wide, so any long transaction
//! that has written something, in any database of the server, holds the feed back: a bulk
//! upsert for as long as it runs, a session left `idle in transaction` until it ends
//! (`idle_in_transaction_session_timeout` bounds that), a forgotten prepared transaction
//! until it is resolved. The feed lags then; it never skips. `purrlist copy` stores copied
//! events with `feed_xid` 0: they come first, in their seq order, as on the source.

use super::PostgresStore;
use super::rows::{CONTACT_COLUMNS, contact_from_row};
use super::statements::Sql;
use crate::domain::contact::Contact;
use crate::domain::events::{Actor, ContactEvent, EventKind, StoredEvent, event_for};
use crate::domain::evidence::{Evidence, WriteEvidence};
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::store::{EventQuery, EventStore, StoreError};
use async_trait::async_trait;
use deadpool_postgres::Client;
use std::time::{Duration, Instant};
use tokio_postgres::Row;

/// Longest a read waits for older transactions to end before it serves what is settled.
pub const SETTLE_WAIT: Duration = Duration::from_secs(5);

/// The reading statement's horizon: no transaction below it is still running.
pub(super) const HORIZON: &str = "(SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint)";

/// Records the events of (before, after) pairs, in order, skipping pairs that changed
/// nothing. Call it after the writes whose rows it describes, in their transaction.
pub async fn record_changes(
    tx: &impl Sql,
    changes: &[(Option<&Contact>, Option<&Contact>)],
    actor: &Actor,
    evidence: &WriteEvidence<'_>,
    now: Timestamp,
) -> Result<(), tokio_postgres::Error> {
    let events: Vec<ContactEvent> = changes
        .iter()
        .filter_map(|(before, after)| event_for(*before, *after))
        .collect();
    record_events(tx, &events, actor, evidence, now).await?;
    // What webhook messages about a deleted contact need beyond its `deleted` event.
    let deleted: Vec<&Contact> = changes
        .iter()
        .filter(|(_, a)| a.is_none())
        .filter_map(|(b, _)| *b)
        .collect();
    super::webhook_deleted::keep(tx, &deleted, now).await
}

/// Records events, in order, in the caller's transaction. Public so tests can hold a
/// writer's transaction open between its events and its commit (tests/postgres/feed_order.rs).
pub async fn record_events(
    tx: &impl Sql,
    events: &[ContactEvent],
    actor: &Actor,
    evidence: &WriteEvidence<'_>,
    now: Timestamp,
) -> Result<(), tokio_postgres::Error> {
    let mut rows = EventRows::default();
    for event in events {
        rows.push(event, actor, &evidence.of(&event.contact_id), now);
    }
    rows.insert(tx).await
}

/// An event with who made it and when: the writes of one batch come from different requests.
pub struct StampedEvent<'a> {
    /// The change.
    pub event: ContactEvent,
    /// Who made it.
    pub actor: &'a Actor,
    /// How it happened.
    pub evidence: &'a Evidence,
    /// When.
    pub at: Timestamp,
}

/// [`record_events`] for events of different actors and times (a batch's), in order, in
/// one statement and by the same `feed_xid` rule.
pub async fn record_stamped_events(
    tx: &impl Sql,
    events: &[StampedEvent<'_>],
) -> Result<(), tokio_postgres::Error> {
    let mut rows = EventRows::default();
    for e in events {
        rows.push(&e.event, e.actor, e.evidence, e.at);
    }
    rows.insert(tx).await
}

/// Events as the columns of the feed's one INSERT, in order.
#[derive(Default)]
pub(super) struct EventRows<'a> {
    pub(super) workspaces: Vec<&'a str>,
    pub(super) contacts: Vec<&'a str>,
    pub(super) kinds: Vec<&'a str>,
    pub(super) changes: Vec<String>,
    pub(super) actor_kinds: Vec<String>,
    pub(super) key_ids: Vec<Option<&'a str>>,
    pub(super) times: Vec<i64>,
    pub(super) evidence: Vec<Option<String>>,
}

impl<'a> EventRows<'a> {
    /// Adds one event as `actor` made it at `at`, keeping `evidence`.
    pub(super) fn push(
        &mut self,
        event: &'a ContactEvent,
        actor: &'a Actor,
        evidence: &Evidence,
        at: Timestamp,
    ) {
        self.workspaces.push(event.workspace_id.as_str());
        self.contacts.push(event.contact_id.as_str());
        self.kinds.push(event.kind.as_str());
        self.changes.push(event.changes_json());
        self.actor_kinds.push(actor.stored_kind().into_owned());
        self.key_ids.push(actor.key_id());
        self.times.push(at.millis());
        self.evidence.push(evidence.stored_form(actor));
    }

    /// Appends the events to the feed in one statement. feed_xid: this transaction's id, or
    /// the contact's latest feed_xid if higher (the module comment says why); a contact's
    /// latest event is its highest seq.
    async fn insert(&self, tx: &impl Sql) -> Result<(), tokio_postgres::Error> {
        if self.contacts.is_empty() {
            return Ok(());
        }
        tx.run(
            "INSERT INTO contact_events \
             (workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at, feed_xid, evidence) \
             SELECT w, c, k, ch, a, ak, t, GREATEST(me.xid, COALESCE(\
               (SELECT p.feed_xid FROM contact_events p WHERE p.contact_id = c ORDER BY p.seq DESC LIMIT 1), 0)), ev \
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::text[]) \
             WITH ORDINALITY AS e(w, c, k, ch, a, ak, t, ev, n), \
             (SELECT pg_current_xact_id()::text::bigint AS xid) me ORDER BY n",
            &[
                &self.workspaces,
                &self.contacts,
                &self.kinds,
                &self.changes,
                &self.actor_kinds,
                &self.key_ids,
                &self.times,
                &self.evidence,
            ],
        )
        .await?;
        Ok(())
    }
}

/// The columns [`event_from_row`] reads, in its order; `evidence` comes last.
pub(super) const EVENT_COLUMNS: &str =
    "seq, workspace_id, contact_id, kind, changes, actor_type, actor_key_id, created_at, evidence";

/// Where `evidence` is in [`EVENT_COLUMNS`].
const EVIDENCE_COLUMN: usize = 8;

/// An event from a row of [`EVENT_COLUMNS`] (more columns may follow).
pub(super) fn event_from_row(row: &Row) -> Result<StoredEvent, StoreError> {
    let seq: i64 = row.try_get(0)?;
    let unreadable = |what: &str| StoreError::Internal(format!("event {seq}: unreadable {what}"));
    let changes: String = row.try_get(4)?;
    let changes = match serde_json::from_str(&changes) {
        Ok(serde_json::Value::Object(map)) => map,
        _ => return Err(unreadable("changes")),
    };
    let kind: String = row.try_get(3)?;
    let actor_type: String = row.try_get(5)?;
    let actor =
        Actor::from_stored(&actor_type, row.try_get(6)?).ok_or_else(|| unreadable("actor"))?;
    let evidence = match row.try_get::<_, Option<String>>(EVIDENCE_COLUMN)? {
        None => Some(Evidence::implied_by(&actor)),
        Some(text) => serde_json::from_str(&text)
            .ok()
            .and_then(|v| Evidence::from_json(&v)),
    }
    .ok_or_else(|| unreadable("evidence"))?;
    Ok(StoredEvent {
        seq,
        event: ContactEvent {
            kind: EventKind::parse(&kind).ok_or_else(|| unreadable("kind"))?,
            contact_id: ContactId::from_stored(row.try_get(2)?),
            workspace_id: WorkspaceId::from_stored(row.try_get(1)?),
            changes,
        },
        actor,
        evidence,
        created_at: Timestamp::from_millis(row.try_get(7)?),
    })
}

/// One page read at one snapshot: the events after the cursor in feed order, each with
/// whether it is below the snapshot's horizon (settled).
async fn read_page(
    client: &Client,
    query: &EventQuery,
) -> Result<Vec<(StoredEvent, i64, bool)>, StoreError> {
    // The cursor is an event's seq; its position is that event's (feed_xid, seq). A seq
    // that is not stored (0, or a pruned event's) is read as (0, seq), which sorts before
    // everything kept (pruning removes a prefix). Events older than PostgreSQL migration 6 have feed_xid 0,
    // so their old cursors keep their old position.
    let columns = format!("{EVENT_COLUMNS}, feed_xid");
    let after = "(feed_xid, seq) > (COALESCE((SELECT a.feed_xid FROM contact_events a WHERE a.seq = $2), 0), $2)";
    let limit = i64::from(query.limit);
    let rows = match &query.contact {
        Some(contact) => {
            client
                .rows(
                    &format!(
                        "SELECT {columns}, feed_xid < {HORIZON} FROM contact_events \
                         WHERE contact_id = $4 AND workspace_id = $1 AND {after} \
                         ORDER BY feed_xid, seq LIMIT $3"
                    ),
                    &[
                        &query.workspace.as_str(),
                        &query.after,
                        &limit,
                        &contact.as_str(),
                    ],
                )
                .await?
        }
        None => {
            client
                .rows(
                    &format!(
                        "SELECT {columns}, feed_xid < {HORIZON} FROM contact_events \
                         WHERE workspace_id = $1 AND {after} ORDER BY feed_xid, seq LIMIT $3"
                    ),
                    &[&query.workspace.as_str(), &query.after, &limit],
                )
                .await?
        }
    };
    rows.iter()
        .map(|row| Ok((event_from_row(row)?, row.try_get(9)?, row.try_get(10)?)))
        .collect()
}

/// The oldest transaction still running, as the feed's horizon.
pub(super) async fn horizon(client: &Client) -> Result<i64, StoreError> {
    Ok(client
        .row(&format!("SELECT {HORIZON}"), &[])
        .await?
        .try_get(0)?)
}

/// A page of the feed. Events the first read found committed but not yet settled are
/// waited for (up to [`SETTLE_WAIT`]), so a reader sees a write acknowledged before it
/// asked; events committed while it waited are not, so a busy feed cannot keep it waiting.
async fn list(store: &PostgresStore, query: &EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
    let page = read_page(&store.client().await?, query).await?;
    let Some(wanted) = page.iter().filter(|e| !e.2).map(|e| e.1).max() else {
        return Ok(page.into_iter().map(|e| e.0).collect());
    };
    let deadline = Instant::now() + SETTLE_WAIT;
    let mut pause = Duration::from_millis(1);
    // The pool connection goes back between looks, so waiting readers hold none.
    while horizon(&store.client().await?).await? <= wanted && Instant::now() < deadline {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
    let page = read_page(&store.client().await?, query).await?;
    Ok(page.into_iter().take_while(|e| e.2).map(|e| e.0).collect())
}

/// Deletes the feed's oldest events, up to the first kept one: a prefix in feed order, so
/// a cursor of a deleted event (read as `(0, seq)`) still sorts before every kept event.
async fn prune(client: &Client, before: Timestamp) -> Result<u64, StoreError> {
    let sql = format!(
        "DELETE FROM contact_events WHERE (feed_xid, seq) < (\
             SELECT CASE WHEN k.feed_xid IS NULL OR k.feed_xid >= h.x THEN h.x ELSE k.feed_xid END, \
                    CASE WHEN k.feed_xid IS NULL OR k.feed_xid >= h.x THEN 0 ELSE k.seq END \
             FROM (SELECT {HORIZON} AS x) h LEFT JOIN LATERAL (SELECT feed_xid, seq FROM contact_events \
               WHERE created_at >= $1 ORDER BY feed_xid, seq LIMIT 1) k ON true)"
    );
    Ok(client.run(&sql, &[&before.millis()]).await?)
}

/// Contacts from `DELETE … RETURNING` rows, in list order (createdAt, id).
pub fn deleted_in_list_order(rows: &[Row]) -> Result<Vec<Contact>, StoreError> {
    let mut removed: Vec<Contact> = rows
        .iter()
        .map(contact_from_row)
        .collect::<Result<_, _>>()?;
    removed.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(removed)
}

/// `RETURNING` clause for deletes whose rows become events.
pub fn returning_contact() -> String {
    format!("RETURNING {CONTACT_COLUMNS}")
}

#[async_trait]
impl EventStore for PostgresStore {
    async fn list_events(&self, query: EventQuery) -> Result<Vec<StoredEvent>, StoreError> {
        self.timed(list(self, &query)).await
    }

    async fn prune_events(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.timed(async { prune(&self.client().await?, before).await })
            .await
    }
}
