//! Several requests' single-contact updates (PUT) in one transaction: one lock read for
//! all of them, the domain's planner for each in arrival order, one UPDATE and one event
//! INSERT for all, one COMMIT (one WAL flush). The batcher (`batcher`) gathers them.
//!
//! Planning in memory is what makes one statement per step possible: the batch keeps each
//! locked contact as the writes so far left it, and who holds each email, so a later write
//! of the batch sees an earlier one exactly as it would in its own transaction after it
//! (a second PUT of one contact, `If-Match` on the version the first made, an email the
//! first took or gave up). A write the domain refuses (404, 412, 409 `email_taken`, bad
//! custom fields) writes nothing, so it fails alone without any undo.
//!
//! When a statement fails anyway (an email another node took after we looked, a deadlock),
//! the transaction is rolled back and the batch runs again in a new one, each write in its
//! own SAVEPOINT: the failing write is rolled back to its savepoint and fails alone, the
//! rest commit together. A failed COMMIT fails every write that was in it, as a failed
//! COMMIT of a single write does (its outcome may be unknown, so nothing is retried).

use super::contacts::email_holder;
use super::events::{StampedEvent, record_stamped_events};
use super::rows::{CONTACT_COLUMNS, contacts_from_rows, update_contacts};
use super::statements::Sql;
use super::suppressions::{suppressions_of, write_lifts};
use crate::domain::contact::{Contact, ContactPatch};
use crate::domain::error::DomainError;
use crate::domain::events::event_for;
use crate::domain::evidence::Origin;
use crate::domain::ids::{ContactId, WorkspaceId};
use crate::domain::suppression::{Lift, could_refuse, lift_for};
use crate::domain::target::{Target, email_to_look_up, plan_update};
use crate::domain::timestamp::Timestamp;
use crate::store::{StoreError, UpdateOutcome};
use deadpool_postgres::{Client, Transaction};
use std::collections::{BTreeMap, HashMap};

/// One request's PUT, as `ContactStore::update_contact` takes it.
pub struct PutJob {
    /// The contact, the caller's grant and `If-Match`.
    pub target: Target,
    /// The fields to set.
    pub patch: ContactPatch,
    /// The request's time.
    pub now: Timestamp,
    /// Who writes, and the evidence its event keeps.
    pub origin: Origin,
}

/// What one PUT of a batch gets.
pub type Answer = Result<UpdateOutcome, StoreError>;

/// Applies `jobs` in arrival order, in one transaction when they all go through, else
/// each in a savepoint of one transaction; one answer per job, in order.
pub async fn apply(client: &mut Client, jobs: &[PutJob]) -> Vec<Answer> {
    match together(client, jobs).await {
        Ok(answers) => answers,
        Err(Unfinished::RolledBack) => one_savepoint_each(client, jobs).await,
        Err(Unfinished::Failed(e)) => jobs.iter().map(|_| Err(e.clone())).collect(),
    }
}

/// Why [`together`] gave no answers.
enum Unfinished {
    /// A statement failed before the commit; nothing was written.
    RolledBack,
    /// The database is not there to try again.
    Failed(StoreError),
}

/// A write's plan: the contact now, and after the write (`None`: it changes nothing), and
/// the suppression the write lifts (it carried the override).
struct Planned {
    current: Contact,
    next: Option<Contact>,
    lift: Option<Lift>,
}

/// The contacts a batch has locked, as its writes so far left them.
struct Planner {
    /// Each target id: the contact now, `None` if there is none.
    contacts: HashMap<ContactId, Option<Contact>>,
    /// (workspace, normalised email) to its holder now, for the emails seen so far: those
    /// of the locked contacts, and those looked up (held by contacts outside the batch).
    holders: HashMap<(WorkspaceId, String), Option<ContactId>>,
}

impl Planner {
    /// Locks every contact the jobs name, in id order (one lock order for every batch and
    /// bulk upsert, so they cannot deadlock on rows).
    async fn lock(tx: &Transaction<'_>, jobs: &[PutJob]) -> Result<Planner, StoreError> {
        let mut ids: Vec<&str> = jobs.iter().map(|j| j.target.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let sql = format!(
            "SELECT {CONTACT_COLUMNS} FROM contacts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE"
        );
        let found = contacts_from_rows(&tx.rows(&sql, &[&ids]).await?)?;
        let mut planner = Planner {
            contacts: jobs.iter().map(|j| (j.target.id.clone(), None)).collect(),
            holders: HashMap::new(),
        };
        for contact in found {
            planner.holders.insert(
                (
                    contact.workspace_id.clone(),
                    contact.email.normalized().to_owned(),
                ),
                Some(contact.id.clone()),
            );
            planner.contacts.insert(contact.id.clone(), Some(contact));
        }
        Ok(planner)
    }

    /// Plans `job` on the contacts as the batch has left them. A domain refusal is an
    /// `Err(StoreError::Domain)`; any other error is the database's.
    async fn plan(&mut self, tx: &Transaction<'_>, job: &PutJob) -> Result<Planned, StoreError> {
        let found = self.contacts.get(&job.target.id).cloned().flatten();
        let current = job.target.admit(found)?;
        let holder = match email_to_look_up(&current, &job.patch) {
            Some(email) => self.holder(tx, &current.workspace_id, email).await?,
            None => None,
        };
        let next = plan_update(&current, holder.as_ref(), &job.patch, job.now)?;
        let lift = match &next {
            Some(after) => Self::suppression_rule(tx, &current, after, job).await?,
            None => None,
        };
        Ok(Planned {
            current,
            next,
            lift,
        })
    }

    /// The suppression rule (`domain::suppression::lift_for`), looked up only for a
    /// write it can refuse: one that subscribes, or moves the contact to another address.
    async fn suppression_rule(
        tx: &Transaction<'_>,
        before: &Contact,
        after: &Contact,
        job: &PutJob,
    ) -> Result<Option<Lift>, StoreError> {
        if !could_refuse(Some(before), after) {
            return Ok(None);
        }
        let email = [after.email.normalized()];
        let suppression = suppressions_of(tx, &after.workspace_id, &email)
            .await?
            .into_values()
            .next();
        let lift = lift_for(
            Some(before),
            after,
            suppression,
            job.patch.override_suppression,
        )
        .map_err(|refused| DomainError::Suppressed(refused.0))?;
        Ok(lift)
    }

    /// Who holds `email` in `workspace` now: known to the batch, or else looked up (then a
    /// contact outside the batch, since every batch contact's email is known).
    async fn holder(
        &mut self,
        tx: &Transaction<'_>,
        workspace: &WorkspaceId,
        email: &str,
    ) -> Result<Option<ContactId>, StoreError> {
        let key = (workspace.clone(), email.to_owned());
        if let Some(known) = self.holders.get(&key) {
            return Ok(known.clone());
        }
        let found = email_holder(tx, workspace, email).await?;
        self.holders.insert(key, found.clone());
        Ok(found)
    }

    /// Takes a written change into the batch's view.
    fn apply(&mut self, before: &Contact, after: &Contact) {
        if before.email.normalized() != after.email.normalized() {
            let workspace = after.workspace_id.clone();
            self.holders.insert(
                (workspace.clone(), before.email.normalized().to_owned()),
                None,
            );
            self.holders.insert(
                (workspace, after.email.normalized().to_owned()),
                Some(after.id.clone()),
            );
        }
        self.contacts.insert(after.id.clone(), Some(after.clone()));
    }
}

/// The event of each change, stamped with its request's actor and time.
fn stamped<'a>(changes: &[(Contact, Contact, &'a PutJob)]) -> Vec<StampedEvent<'a>> {
    changes
        .iter()
        .filter_map(|(before, after, job)| {
            event_for(Some(before), Some(after)).map(|event| StampedEvent {
                event,
                actor: &job.origin.actor,
                evidence: &job.origin.evidence,
                at: job.now,
            })
        })
        .collect()
}

/// The whole batch in one transaction, set-based; `RolledBack` when a statement fails.
async fn together(client: &mut Client, jobs: &[PutJob]) -> Result<Vec<Answer>, Unfinished> {
    let rolled_back = |_| Unfinished::RolledBack;
    let tx = client
        .transaction()
        .await
        .map_err(|e| Unfinished::Failed(e.into()))?;
    let mut planner = Planner::lock(&tx, jobs).await.map_err(rolled_back)?;
    let mut answers = Vec::with_capacity(jobs.len());
    let mut changes: Vec<(Contact, Contact, &PutJob)> = Vec::new();
    let mut lifts: Vec<(Lift, &PutJob)> = Vec::new();
    // The contacts before the batch, for those it changes (the first `before` of each).
    let mut first: BTreeMap<ContactId, Contact> = BTreeMap::new();
    for job in jobs {
        match planner.plan(&tx, job).await {
            Ok(Planned {
                current: contact,
                next: None,
                ..
            }) => answers.push(Ok(UpdateOutcome {
                contact,
                changed: false,
            })),
            Ok(Planned {
                current: before,
                next: Some(after),
                lift,
            }) => {
                lifts.extend(lift.map(|lift| (lift, job)));
                planner.apply(&before, &after);
                first
                    .entry(before.id.clone())
                    .or_insert_with(|| before.clone());
                answers.push(Ok(UpdateOutcome {
                    contact: after.clone(),
                    changed: true,
                }));
                changes.push((before, after, job));
            }
            Err(e @ StoreError::Domain(_)) => answers.push(Err(e)),
            Err(_) => return Err(Unfinished::RolledBack),
        }
    }
    if !changes.is_empty() {
        let finals: Vec<&Contact> = first
            .keys()
            .filter_map(|id| planner.contacts.get(id).and_then(Option::as_ref))
            .collect();
        // Emails may pass between contacts of the batch (one gives one up, another takes
        // it); park every moving row first so the unique index never sees two at once.
        let moving: Vec<&str> = finals
            .iter()
            .filter(|after| {
                first.get(&after.id).map(|b| b.email.normalized()) != Some(after.email.normalized())
            })
            .map(|after| after.id.as_str())
            .collect();
        if moving.len() > 1 {
            tx.run(
                "UPDATE contacts SET email_norm = chr(1) || id WHERE id = ANY($1::text[])",
                &[&moving],
            )
            .await
            .map_err(rolled_back_pg)?;
        }
        update_contacts(&tx, &finals)
            .await
            .map_err(rolled_back_pg)?;
        for (lift, job) in &lifts {
            let origin = &job.origin;
            write_lifts(
                &tx,
                std::slice::from_ref(lift),
                &origin.actor,
                &origin.evidence,
                job.now,
            )
            .await
            .map_err(rolled_back_pg)?;
        }
        record_stamped_events(&tx, &stamped(&changes))
            .await
            .map_err(rolled_back_pg)?;
    }
    match tx.commit().await {
        Ok(()) => Ok(answers),
        Err(e) => {
            let e = StoreError::from(e);
            Ok(answers
                .into_iter()
                .map(|answer| answer.and(Err(e.clone())))
                .collect())
        }
    }
}

fn rolled_back_pg(_: tokio_postgres::Error) -> Unfinished {
    Unfinished::RolledBack
}

/// The batch again, each write in its own savepoint of one transaction, so a write whose
/// statement fails is undone alone.
async fn one_savepoint_each(client: &mut Client, jobs: &[PutJob]) -> Vec<Answer> {
    let failed_all = |e: StoreError| jobs.iter().map(|_| Err(e.clone())).collect();
    let tx = match client.transaction().await {
        Ok(tx) => tx,
        Err(e) => return failed_all(e.into()),
    };
    let mut planner = match Planner::lock(&tx, jobs).await {
        Ok(planner) => planner,
        Err(e) => return failed_all(e),
    };
    let mut answers = Vec::with_capacity(jobs.len());
    for job in jobs {
        if let Err(e) = tx.batch_execute("SAVEPOINT write").await {
            return failed_all(e.into());
        }
        let answer = one(&tx, &mut planner, job).await;
        let undo = if answer.is_err() {
            "ROLLBACK TO write; RELEASE write"
        } else {
            "RELEASE write"
        };
        if let Err(e) = tx.batch_execute(undo).await {
            return failed_all(e.into());
        }
        if let Ok((before, (after, _))) = &answer {
            planner.apply(before, after);
        }
        answers.push(answer.map(|(_, after)| after));
    }
    let committed = tx.commit().await.map_err(StoreError::from);
    answers
        .into_iter()
        .map(|answer| {
            let (contact, changed) = answer?;
            committed.clone()?;
            Ok(UpdateOutcome { contact, changed })
        })
        .collect()
}

/// One write of [`one_savepoint_each`], planned and written; on success the contact
/// before and (after, whether it changed).
async fn one(
    tx: &Transaction<'_>,
    planner: &mut Planner,
    job: &PutJob,
) -> Result<(Contact, (Contact, bool)), StoreError> {
    let Planned {
        current,
        next,
        lift,
    } = planner.plan(tx, job).await?;
    match next {
        None => Ok((current.clone(), (current, false))),
        Some(after) => {
            let before = current;
            update_contacts(tx, &[&after]).await?;
            if let Some(lift) = lift {
                let origin = &job.origin;
                write_lifts(tx, &[lift], &origin.actor, &origin.evidence, job.now).await?;
            }
            let change = [(before, after, job)];
            record_stamped_events(tx, &stamped(&change)).await?;
            let [(before, after, _)] = change;
            Ok((before, (after, true)))
        }
    }
}
