//! Building the server: state, router, a bound listener, graceful shutdown.

use crate::config::Config;
use crate::domain::api_key::{ApiKey, ApiKeySecret, WorkspaceGrant};
use crate::domain::ids::{ApiKeyId, WorkspaceId};
use crate::domain::timestamp::Timestamp;
use crate::domain::workspace::Workspace;
use crate::http::{AppState, Limits, router};
use crate::store::SharedStore;
use anyhow::Context;
use axum::Router;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;

/// A server bound to its address, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    addr: SocketAddr,
    store: SharedStore,
    event_retention: Duration,
    limits: Limits,
}

/// How often old events and idempotency keys are pruned while serving.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Deletes events older than `retention` (zero keeps them) and idempotency keys past their
/// 24 hours; returns (events, keys) removed.
pub async fn prune_once(
    store: &SharedStore,
    retention: Duration,
    now: Timestamp,
) -> Result<(u64, u64), crate::store::StoreError> {
    let events = if retention.is_zero() {
        0
    } else {
        let cutoff = now.millis().saturating_sub(retention.as_millis() as i64);
        store.prune_events(Timestamp::from_millis(cutoff)).await?
    };
    let cutoff = now.millis() - crate::domain::idempotency::KEY_LIFETIME_MS;
    let keys = store
        .prune_idempotency(Timestamp::from_millis(cutoff))
        .await?;
    Ok((events, keys))
}

async fn prune_logged(store: &SharedStore, retention: Duration) {
    match prune_once(store, retention, Timestamp::now()).await {
        Ok((events, keys)) if events + keys > 0 => {
            tracing::info!(events, idempotency_keys = keys, "pruned")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "pruning failed; will retry"),
    }
}

impl Application {
    /// Binds `config.listen` (port 0 picks a free port) and builds the router over `store`.
    pub async fn build(config: &Config, store: SharedStore) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        // Prune once before serving, so a lowered retention applies from the first request.
        prune_logged(&store, config.event_retention).await;
        let state = AppState::new(store.clone(), config.limits, config.key_cache);
        Ok(Application {
            listener,
            router: router(state),
            addr,
            store,
            event_retention: config.event_retention,
            limits: config.limits,
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
        let housekeeping = tokio::spawn(async move {
            let mut every = tokio::time::interval(PRUNE_EVERY);
            every.tick().await; // the first tick is now; build() already pruned
            loop {
                every.tick().await;
                prune_logged(&store, retention).await;
            }
        });
        let served =
            crate::http::server::serve(self.listener, self.router, &self.limits, shutdown).await;
        housekeeping.abort();
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
    store: &SharedStore,
    name: String,
    grant: WorkspaceGrant,
    read_only: bool,
) -> Result<(ApiKey, ApiKeySecret), crate::store::StoreError> {
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

/// On a database with no workspace: one workspace and one full-access key. Safe when
/// several nodes start at once on one database: only one of them creates them.
pub async fn first_start(store: &SharedStore) -> anyhow::Result<Option<(Workspace, ApiKeySecret)>> {
    if !store.list_workspaces().await?.is_empty() {
        return Ok(None);
    }
    let now = Timestamp::now();
    let workspace = Workspace {
        id: WorkspaceId::generate(),
        name: "My newsletter".to_owned(),
        created_at: now,
    };
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
