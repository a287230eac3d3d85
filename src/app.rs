//! Building the server: state, router, a bound listener, the background work (pruning,
//! import jobs, the webhook deliverer, the expiry of unconfirmed requests), graceful shutdown.

use crate::config::Config;
use crate::domain::api_key::{ApiKey, ApiKeySecret, WorkspaceGrant};
use crate::domain::ids::ApiKeyId;
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::http::{AppState, Limits, Shared, router};
use crate::import_jobs::{ImportJobs, Spool};
use crate::store::{AdminStore, DatabaseUrl, ServerStore, SharedStore, StoreError};
use anyhow::Context;
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

/// A server bound to its address, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    store: Arc<dyn ServerStore>,
    event_retention: Duration,
    limits: Limits,
    imports: ImportJobs,
    /// How often abandoned import jobs are looked for while serving (`None`: never, when
    /// this server is the only one on its database).
    import_sweep: Option<Duration>,
    webhooks: crate::webhooks::Webhooks,
    confirmation_ttl: Duration,
}

/// How often old events and idempotency keys are pruned while serving.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Deletes events older than `retention` (zero keeps them) and idempotency keys past their
/// 24 hours; returns (events, keys) removed.
pub async fn prune_once(
    store: &dyn ServerStore,
    retention: Duration,
    now: Timestamp,
) -> Result<(u64, u64), StoreError> {
    let events = if retention.is_zero() {
        0
    } else {
        let cutoff = now.millis().saturating_sub(retention.as_millis() as i64);
        let cutoff = still_needed_by_webhooks(store, Timestamp::from_millis(cutoff)).await?;
        count_feeds(store).await?;
        let pruned = store.prune_events(cutoff).await?;
        if pruned > 0 {
            store.forget_deleted_contacts().await?;
        }
        pruned
    };
    store
        .prune_deliveries(Timestamp::from_millis(now.millis() - DELIVERY_LOG_MS))
        .await?;
    let cutoff = now.millis() - crate::domain::idempotency::KEY_LIFETIME_MS;
    let keys = store
        .prune_idempotency(Timestamp::from_millis(cutoff))
        .await?;
    Ok((events, keys))
}

/// Brings every workspace's daily counts (the dashboard chart's rollup of the feed) up to
/// the feed's end, so the events pruned next have been counted.
async fn count_feeds(store: &dyn ServerStore) -> Result<(), StoreError> {
    for workspace in store.list_workspaces().await? {
        crate::store::count_whole_feed(store, &workspace.id, crate::store::MAX_COUNT_BATCH).await?;
    }
    Ok(())
}

/// How long the webhook deliveries log is kept.
const DELIVERY_LOG_MS: i64 = 30 * 24 * 3600 * 1000;

/// The retention cutoff moved back so no event a webhook endpoint has not accepted yet is
/// pruned (enabled or not: enabling one again resumes where it stopped; docs/webhooks.md).
/// Pruning deletes events before the first one committed at or after the cutoff, so a
/// cutoff at the commit time of each endpoint's next event keeps that event and all later.
async fn still_needed_by_webhooks(
    store: &dyn ServerStore,
    mut cutoff: Timestamp,
) -> Result<Timestamp, StoreError> {
    for (workspace, cursor) in store.webhook_cursors().await? {
        let next = store
            .list_events(crate::store::EventQuery {
                workspace,
                after: cursor,
                limit: 1,
                contact: None,
            })
            .await?;
        if let Some(event) = next.first() {
            cutoff = cutoff.min(event.created_at);
        }
    }
    Ok(cutoff)
}

async fn prune_logged(store: &dyn ServerStore, retention: Duration) {
    match prune_once(store, retention, Timestamp::now()).await {
        Ok((events, keys)) if events + keys > 0 => {
            tracing::info!(events, idempotency_keys = keys, "pruned")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "pruning failed; will retry"),
    }
}

/// Where import bodies are spooled when the configuration does not say: beside the SQLite
/// file (`purrlist.db.imports/`), else in the system's temporary directory.
fn default_spool_dir(database: Option<&DatabaseUrl>) -> PathBuf {
    match database {
        Some(DatabaseUrl::Sqlite(path)) => {
            let mut name = path.file_name().unwrap_or_default().to_owned();
            name.push(".imports");
            path.with_file_name(name)
        }
        _ => std::env::temp_dir().join("purrlist-imports"),
    }
}

/// The import jobs of a server starting on `store`, after those a stopped server left are
/// marked interrupted. On SQLite this server is the only one (`ServerLock`), so every open
/// job is left over; on PostgreSQL only those whose heartbeat stopped.
async fn import_jobs(config: &Config, store: SharedStore) -> anyhow::Result<ImportJobs> {
    let database = DatabaseUrl::parse(&config.database_url).ok();
    let dir = config
        .import_spool_dir
        .clone()
        .unwrap_or_else(|| default_spool_dir(database.as_ref()));
    let spool = Spool::open(dir.clone())
        .with_context(|| format!("cannot make the import spool directory {}", dir.display()))?;
    let jobs = ImportJobs::new(store, spool);
    let now = Timestamp::now();
    let before = match database {
        Some(DatabaseUrl::Sqlite(_)) => Timestamp::from_millis(now.millis() + 1),
        _ => abandoned_before(now, config.import_abandoned_after),
    };
    jobs.sweep(before).await?;
    Ok(jobs)
}

fn abandoned_before(now: Timestamp, after: Duration) -> Timestamp {
    Timestamp::from_millis(now.millis() - after.as_millis() as i64)
}

impl Application {
    /// Binds `config.listen` (port 0 picks a free port) and builds the router over `store`.
    pub async fn build(config: &Config, store: SharedStore) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        // Prune once before serving, so a lowered retention applies from the first request.
        prune_logged(&*store, config.event_retention).await;
        let imports = import_jobs(config, store.clone()).await?;
        let mut state = Shared::new(
            store.clone(),
            imports.clone(),
            config.limits,
            config.key_cache,
        );
        state.webhooks.settings = config.webhooks.clone();
        state.trusted_proxies = Arc::new(config.trusted_proxies.clone());
        state.inbound = config.inbound.clone();
        state.inbound.public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        state.opt_in.public_base = config.public_base_url(addr);
        state.opt_in.ttl = config.confirmation_ttl;
        state.dashboard = crate::http::dashboard::Dashboard::new(config.dashboard_settings());
        let webhooks = state.webhooks.clone();
        let exclusive = matches!(
            DatabaseUrl::parse(&config.database_url),
            Ok(DatabaseUrl::Sqlite(_))
        );
        Ok(Application {
            listener,
            router: router(AppState::from(state)),
            addr,
            store,
            event_retention: config.event_retention,
            limits: config.limits,
            imports,
            import_sweep: (!exclusive).then_some(config.import_abandoned_after),
            webhooks,
            confirmation_ttl: config.confirmation_ttl,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` completes, then stops accepting and finishes in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (store, retention) = (self.store, self.event_retention);
        let deliverer = crate::webhooks::deliverer::Deliverer::spawn(store.clone(), self.webhooks)
            .map_err(std::io::Error::other)?;
        let expiry = crate::double_opt_in::expiry::spawn(store.clone(), self.confirmation_ttl);
        let housekeeping = tokio::spawn(async move {
            let mut every = tokio::time::interval(PRUNE_EVERY);
            every.tick().await; // the first tick is now; build() already pruned
            loop {
                every.tick().await;
                prune_logged(&*store, retention).await;
            }
        });
        let sweeping = self.import_sweep.map(|after| {
            let imports = self.imports.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(after / 2);
                loop {
                    every.tick().await;
                    let before = abandoned_before(Timestamp::now(), after);
                    if let Err(e) = imports.sweep(before).await {
                        tracing::warn!(error = %e, "cannot look for abandoned imports; will retry");
                    }
                }
            })
        });
        let served =
            crate::http::server::serve(self.listener, self.router, &self.limits, shutdown).await;
        housekeeping.abort();
        if let Some(task) = sweeping {
            task.abort();
        }
        self.imports.stop_all().await;
        // Waited for: it runs on its own thread, which the process exit would not wait
        // for, and it holds the store (the SQLite writer logs its batches when dropped).
        deliverer.stop().await;
        expiry.abort();
        served
    }
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is called, not
/// when it is first awaited, so a signal sent right after start-up is not lost (call it
/// before saying the server is ready).
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let streams = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let (mut interrupt, mut terminate) = streams;
            let next = |stream: &mut Option<tokio::signal::unix::Signal>| {
                let stream = stream.take();
                async move {
                    match stream {
                        Some(mut stream) => {
                            stream.recv().await;
                        }
                        None => std::future::pending::<()>().await,
                    }
                }
            };
            tokio::select! {
                () = next(&mut interrupt) => {},
                () = next(&mut terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown requested: finishing in-flight requests");
    }
}

/// Makes an API key and stores its hash; returns the secret, to be shown once.
pub async fn create_key(
    store: &dyn AdminStore,
    name: String,
    grant: WorkspaceGrant,
    read_only: bool,
) -> Result<(ApiKey, ApiKeySecret), StoreError> {
    let secret = ApiKeySecret::generate();
    let key = ApiKey {
        id: ApiKeyId::generate(),
        name,
        grant,
        read_only,
        created_at: Timestamp::now(),
        revoked_at: None,
    };
    store.create_api_key(key.clone(), secret.hash()).await?;
    Ok((key, secret))
}

/// On a database with no workspace: one workspace called `name` and one full-access key.
/// Safe when several nodes start at once on one database: only one of them creates them.
pub async fn first_start(
    store: &dyn AdminStore,
    name: String,
) -> anyhow::Result<Option<(Workspace, ApiKeySecret)>> {
    if !store.list_workspaces().await?.is_empty() {
        return Ok(None);
    }
    let now = Timestamp::now();
    let workspace = Workspace::new(name, now);
    let secret = ApiKeySecret::generate();
    let key = ApiKey {
        id: ApiKeyId::generate(),
        name: "first key".to_owned(),
        grant: WorkspaceGrant::All,
        read_only: false,
        created_at: now,
        revoked_at: None,
    };
    let created = store
        .create_first_workspace(workspace.clone(), key, secret.hash())
        .await?;
    Ok(created.then_some((workspace, secret)))
}
