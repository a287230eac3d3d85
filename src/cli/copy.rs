//! `purrlist copy --from URL --to URL`: moves every workspace, key (hash), contact, event
//! of the change feed (same seq, so cursors stay valid), unexpired idempotency record and
//! import job (`POST /v1/imports`, with its report) from one store to another as they are
//! (ids, tokens, times; events with their evidence), then the webhook endpoints (secrets,
//! cursors, retry state), inbound secrets (hashes) and the suppressions (with the salt of
//! their ids), then checks the counts; then form keys and pending confirmations
//! (`copy_opt_in`).

use crate::config::Config;
use crate::domain::idempotency::KEY_LIFETIME_MS;
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::store::{self, ImportRows, ImportStore, SharedStore, TransferStore, redact_url};
use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};

/// Contacts read and written per step.
const BATCH: u32 = 1000;

/// What to copy and whether a target with rows is acceptable.
#[derive(Debug, clap::Args)]
pub struct CopyArgs {
    /// The store to read, e.g. sqlite://purrlist.db.
    #[arg(long, value_name = "URL")]
    from: String,
    /// The store to fill, e.g. postgres://user@host/purrlist.
    #[arg(long, value_name = "URL")]
    to: String,
    /// Continue an interrupted copy: rows already in the target (same id) are kept.
    #[arg(long)]
    resume: bool,
}

pub async fn run(args: CopyArgs, config: &Config) -> anyhow::Result<()> {
    if args.from == args.to {
        bail!("--from and --to name the same database");
    }
    let options = config.store_options();
    let source: SharedStore = store::open(&args.from, &options)
        .await
        .with_context(|| format!("cannot open the source {}", redact_url(&args.from)))?;
    let target: SharedStore = store::open(&args.to, &options)
        .await
        .with_context(|| format!("cannot open the target {}", redact_url(&args.to)))?;

    let existing = target.export_workspaces().await?.len();
    let existing_keys = target.export_api_keys().await?.len();
    if (existing > 0 || existing_keys > 0) && !args.resume {
        bail!(
            "the target {} is not empty ({existing} workspace(s), {existing_keys} key(s)); \
             refusing to copy into it. Pass --resume to continue an interrupted copy \
             (rows already there are kept), or point --to at an empty database.",
            redact_url(&args.to)
        );
    }

    let workspaces = source.export_workspaces().await?;
    let keys = source.export_api_keys().await?;
    let mut totals = Vec::with_capacity(workspaces.len());
    for w in &workspaces {
        totals.push(Totals {
            contacts: source.count_contacts(&w.id).await?,
            events: source.count_events(&w.id).await?,
        });
    }
    let all_contacts: u64 = totals.iter().map(|t| t.contacts).sum();
    let all_events: u64 = totals.iter().map(|t| t.events).sum();
    let since = Timestamp::from_millis(Timestamp::now().millis() - KEY_LIFETIME_MS);
    let idempotency = source.export_idempotency(since).await?;
    eprintln!(
        "Copying {} workspace(s), {} key(s), {all_contacts} contact(s), {all_events} event(s) \
         and {} idempotency record(s) from {} to {}.",
        workspaces.len(),
        keys.len(),
        idempotency.len(),
        redact_url(&args.from),
        redact_url(&args.to)
    );
    target
        .import(ImportRows {
            workspaces: workspaces.clone(),
            keys: keys.clone(),
            ..ImportRows::default()
        })
        .await
        .context("cannot copy workspaces and keys")?;

    let bar = progress(all_contacts, "contacts");
    for workspace in &workspaces {
        copy_contacts(&*source, &*target, workspace, &bar).await?;
    }
    bar.finish_and_clear();

    let bar = progress(all_events, "events");
    copy_events(&*source, &*target, &bar).await?;
    bar.finish_and_clear();
    let idempotency_count = idempotency.len();
    target
        .import(ImportRows {
            idempotency,
            ..ImportRows::default()
        })
        .await
        .context("cannot copy idempotency records")?;

    let imports = copy_imports(&*source, &*target).await?;
    // Webhook endpoints after the events, so their cursors point into a whole feed.
    let webhooks = source.export_webhooks().await?;
    let webhook_count = webhooks.len();
    target
        .import_webhooks(webhooks)
        .await
        .context("cannot copy webhook endpoints")?;
    let inbound_secrets = source.export_inbound_secrets().await?;
    target
        .import_inbound_secrets(inbound_secrets)
        .await
        .context("cannot copy inbound secrets")?;

    let suppressions = source.export_suppressions().await?;
    let suppression_count = suppressions.suppressions.len();
    target
        .import_suppressions(suppressions)
        .await
        .context("cannot copy suppressions")?;

    verify(&*source, &*target, &workspaces, &totals, keys.len()).await?;
    let copied_suppressions = target.export_suppressions().await?.suppressions.len();
    if copied_suppressions < suppression_count {
        bail!(
            "verification failed: suppressions: source {suppression_count}, target {copied_suppressions}"
        );
    }
    let copied_webhooks = target.export_webhooks().await?.len();
    if copied_webhooks < webhook_count {
        bail!(
            "verification failed: webhook endpoints: source {webhook_count}, target {copied_webhooks}"
        );
    }
    let copied_records = target.export_idempotency(since).await?.len();
    if copied_records < idempotency_count {
        bail!(
            "verification failed: idempotency records: source {idempotency_count}, target {copied_records}"
        );
    }
    let copied_imports = count_imports(&*target).await?;
    if copied_imports < imports {
        bail!("verification failed: import jobs: source {imports}, target {copied_imports}");
    }
    println!(
        "Copied and verified: {} workspace(s), {} key(s), {all_contacts} contact(s), \
         {all_events} event(s), {idempotency_count} idempotency record(s), {imports} import job(s).",
        workspaces.len(),
        keys.len()
    );
    println!("Copied and verified: {webhook_count} webhook endpoint(s).");
    println!("Copied and verified: {suppression_count} suppression(s).");
    let (form_keys, confirmations) = super::copy_opt_in::copy_opt_in(&source, &target).await?;
    println!(
        "Copied and verified: {form_keys} form key(s), {confirmations} pending confirmation(s)."
    );
    Ok(())
}

/// What a workspace held when the copy began.
struct Totals {
    contacts: u64,
    events: u64,
}

fn progress(len: u64, what: &str) -> ProgressBar {
    let template = format!("{{bar:40}} {{pos}}/{{len}} {what} ({{per_sec}}, {{eta}} left) {{msg}}");
    ProgressBar::new(len).with_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    )
}

/// Copies the whole feed in seq order; events already in the target (same seq) are kept.
async fn copy_events(
    source: &dyn TransferStore,
    target: &dyn TransferStore,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    let mut after = 0;
    loop {
        let batch = source.export_events(after, BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = last.seq;
        let count = batch.len() as u64;
        target
            .import(ImportRows {
                events: batch,
                ..ImportRows::default()
            })
            .await
            .context("cannot copy the change feed")?;
        bar.inc(count);
    }
}

/// Copies every import job (`POST /v1/imports`) as it is, with its report; returns how many.
async fn copy_imports(source: &dyn ImportStore, target: &dyn ImportStore) -> anyhow::Result<u64> {
    let (mut after, mut copied) = (None, 0u64);
    loop {
        let batch = source.export_imports(after, BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(copied);
        };
        after = Some((last.created_at, last.id.clone()));
        copied += batch.len() as u64;
        target
            .import_imports(batch)
            .await
            .context("cannot copy import jobs")?;
    }
}

/// How many import jobs a store holds.
async fn count_imports(store: &dyn ImportStore) -> anyhow::Result<u64> {
    let (mut after, mut count) = (None, 0u64);
    loop {
        let batch = store.export_imports(after, BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(count);
        };
        after = Some((last.created_at, last.id.clone()));
        count += batch.len() as u64;
    }
}

async fn copy_contacts(
    source: &dyn TransferStore,
    target: &dyn TransferStore,
    workspace: &Workspace,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    bar.set_message(workspace.id.to_string());
    let mut after = None;
    loop {
        let batch = source.export_contacts(&workspace.id, after, BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(());
        };
        after = Some((last.created_at, last.id.clone()));
        let count = batch.len() as u64;
        target
            .import(ImportRows {
                contacts: batch,
                ..ImportRows::default()
            })
            .await
            .with_context(|| format!("cannot copy contacts of {}", workspace.id))?;
        bar.inc(count);
    }
}

/// Compares counts: workspaces, keys, and contacts and events per workspace.
async fn verify(
    source: &dyn TransferStore,
    target: &dyn TransferStore,
    workspaces: &[Workspace],
    totals: &[Totals],
    keys: usize,
) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    let target_workspaces = target.export_workspaces().await?.len();
    if target_workspaces != workspaces.len() {
        problems.push(format!(
            "workspaces: source {}, target {target_workspaces}",
            workspaces.len()
        ));
    }
    let target_keys = target.export_api_keys().await?.len();
    if target_keys != keys {
        problems.push(format!("keys: source {keys}, target {target_keys}"));
    }
    for (workspace, expected) in workspaces.iter().zip(totals) {
        let now_in_source = source.count_contacts(&workspace.id).await?;
        let copied = target.count_contacts(&workspace.id).await?;
        if copied != expected.contacts || now_in_source != expected.contacts {
            problems.push(format!(
                "contacts of {}: source {now_in_source} (was {} at the start), target {copied}",
                workspace.id, expected.contacts
            ));
        }
        let now_in_source = source.count_events(&workspace.id).await?;
        let copied = target.count_events(&workspace.id).await?;
        if copied != expected.events || now_in_source != expected.events {
            problems.push(format!(
                "events of {}: source {now_in_source} (was {} at the start), target {copied}",
                workspace.id, expected.events
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "verification failed (was the source written to during the copy?):\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(())
}
