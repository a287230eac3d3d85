//! PostgreSQL: the same capability traits for several purrlist nodes on one database,
//! each implemented in the module that holds its SQL. A pool of
//! connections (deadpool); every call has a deadline, so a database that is down or
//! restarting gives `Unavailable` (503) quickly and the pool reconnects by itself.
//! Statements go out as `statements` says, so a pooler in transaction mode may sit in
//! between ([`Pooler`]). Reads that may be a little stale go through
//! [`read_on_replica_or_primary!`]. Concurrent PUTs are committed in batches (`batcher`).

/// Runs `$read` (a store read using `$client: &mut Client`) on a replica fit to serve it
/// (`replicas`), else on the primary; a replica that fails it or takes half the deadline
/// hands it to the primary, so a replica never makes a read fail.
macro_rules! read_on_replica_or_primary {
    ($store:expr, |$client:ident| $read:expr) => {{
        let store = $store;
        let mut found = None;
        if let Some(mut used) = store.replica_reader().await {
            let $client = &mut used.client;
            match tokio::time::timeout(store.operation_timeout / 2, $read).await {
                Ok(Ok(answer)) => found = Some(answer),
                Ok(Err(e)) => store.replica_failed(&used, Some(&e)),
                Err(_) => store.replica_failed(&used, None),
            }
        }
        match found {
            Some(answer) => Ok(answer),
            None => {
                let $client = &mut store.client().await?;
                $read.await
            }
        }
    }};
}

mod admin;
mod batcher;
mod bulk;
mod confirmations;
mod connect;
mod contact_counts;
mod contact_search;
mod contacts;
mod daily_counts;
mod erasure;
mod errors;
mod events;
mod form_keys;
mod idempotency;
mod import;
mod imports;
mod inbound;
mod keys;
mod privacy_export;
mod replicas;
mod rows;
mod schema;
mod sessions;
mod statements;
mod suppression_copy;
mod suppressions;
mod tls;
mod transfer;
mod unsubscribe;
mod webhook_copy;
mod webhook_deleted;
mod webhook_delivery;
mod webhook_endpoints;
mod webhooks;
mod write_batch;

pub use events::record_events;

use crate::store::StoreError;
use crate::store::position;
use anyhow::Context;
use batcher::{BatchSettings, Batcher};
use deadpool_postgres::{Client, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use errors::map_pool_error;
use replicas::Replicas;
use serde::Deserialize;
use statements::StatementMode;
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// What sits between purrlist and PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Pooler {
    /// PostgreSQL itself, or a pooler in session mode: statements are prepared once per
    /// connection and kept.
    #[default]
    None,
    /// A pooler in transaction mode (PgBouncer `pool_mode = transaction`): no statement
    /// or session state outlives a transaction.
    Transaction,
}

/// PostgreSQL settings.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Most connections this node holds.
    pub pool_size: usize,
    /// How long opening one connection may take.
    pub connect_timeout: Duration,
    /// How long one store call may take, waiting for a connection included.
    pub operation_timeout: Duration,
    /// What sits between purrlist and PostgreSQL.
    pub pooler: Pooler,
    /// Streaming replicas that may serve reads (`replicas`).
    pub replica_urls: Vec<String>,
    /// Most PUTs committed in one transaction (`batcher`); 1 gives each its own.
    pub batch_size: usize,
    /// Most batches of PUTs in flight at once, each on its own connection (more than one
    /// only when the youngest has run `batcher::OVERLAP_AFTER`).
    pub batch_writers: usize,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            pool_size: 16,
            connect_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(25),
            pooler: Pooler::None,
            replica_urls: Vec::new(),
            batch_size: 64,
            batch_writers: 4,
        }
    }
}

/// The PostgreSQL store.
pub struct PostgresStore {
    pool: Pool,
    operation_timeout: Duration,
    statements: StatementMode,
    replicas: Option<Arc<Replicas>>,
    /// How PUTs are batched; `None` when each commits alone.
    batching: Option<BatchSettings>,
    /// The batcher, started by the first PUT (on the runtime that serves requests).
    batcher: OnceLock<Batcher>,
    /// Folds the appended contact counts a list found many of (`contact_counts`).
    count_folder: contact_counts::CountFolder,
}

/// The driver's settings for `url`: TLS as the URL says, `connect` to open a
/// connection, TCP keepalives, and purrlist's application name unless the URL gives one.
fn connection_config(
    url: &str,
    connect: Duration,
) -> anyhow::Result<(
    tokio_postgres::Config,
    tokio_postgres_rustls::MakeRustlsConnect,
)> {
    let (mut config, tls) = tls::configure(url)?;
    config
        .connect_timeout(connect)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(30));
    if config.get_application_name().is_none() {
        config.application_name("purrlist");
    }
    Ok((config, tls))
}

/// A pool of up to `size` connections; `connect` bounds opening or checking one, `wait`
/// the wait for a free one.
fn pool(
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    size: usize,
    connect: Duration,
    wait: Duration,
) -> anyhow::Result<Pool> {
    let manager = Manager::from_connect(
        config,
        connect::OnBuildersRuntime::new(tls)?,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(manager)
        .max_size(size.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(wait))
        .create_timeout(Some(connect))
        .recycle_timeout(Some(connect))
        .build()
        .context("cannot build a PostgreSQL pool")
}

impl PostgresStore {
    /// Connects, migrates, and builds the pool for `url` (`postgres://…`).
    pub async fn open(url: &str, options: &PostgresOptions) -> anyhow::Result<PostgresStore> {
        let (config, tls) = connection_config(url, options.connect_timeout)?;
        schema::migrate(&config, tls.clone())
            .await
            .context("cannot migrate the PostgreSQL database")?;
        let pool = pool(
            config,
            tls,
            options.pool_size,
            options.connect_timeout,
            options.operation_timeout,
        )?;
        let replicas = Replicas::open(&options.replica_urls, pool.clone(), options.pool_size)?;
        let statements = match options.pooler {
            Pooler::None => StatementMode::Prepared,
            Pooler::Transaction => StatementMode::Unnamed,
        };
        let batching = (options.batch_size > 1).then_some(BatchSettings {
            batch_size: options.batch_size,
            writers: options.batch_writers.max(1),
            overlap_after: batcher::OVERLAP_AFTER,
            mode: statements,
            timeout: options.operation_timeout,
        });
        Ok(PostgresStore {
            pool,
            replicas,
            operation_timeout: options.operation_timeout,
            statements,
            batching,
            batcher: OnceLock::new(),
            count_folder: contact_counts::CountFolder::default(),
        })
    }

    /// The PUT batcher, started on first use; `None` when PUTs are not batched.
    fn batcher(&self) -> Option<&Batcher> {
        let settings = self.batching?;
        Some(
            self.batcher
                .get_or_init(|| Batcher::start(self.pool.clone(), settings)),
        )
    }

    async fn client(&self) -> Result<Client, StoreError> {
        self.pool.get().await.map_err(map_pool_error)
    }

    /// A replica connection fit for a read of the current request, if there is one.
    async fn replica_reader(&self) -> Option<replicas::ReplicaClient> {
        self.replicas.as_ref()?.reader(position::read_floor()).await
    }

    /// The read on `used` failed (`Err`) or took half the deadline (`None`): skip that
    /// replica until its next good check.
    fn replica_failed(&self, used: &replicas::ReplicaClient, error: Option<&StoreError>) {
        if let Some(replicas) = &self.replicas {
            match error {
                Some(e) => replicas.failed(used, e),
                None => replicas.failed(used, &"no answer within half the deadline"),
            }
        }
    }

    /// A write that committed: with replicas, tells the request (`store::position`) the
    /// primary's WAL position now, which a replica must reach to show the write. A write
    /// is never failed for it: without an answer the request just gets no position.
    async fn note_position(&self) {
        if self.replicas.is_none() || !position::tracking() {
            return;
        }
        let asked = async {
            let client = self.client().await.ok()?;
            let rows = client
                .simple_query("SELECT pg_current_wal_insert_lsn()::text")
                .await
                .ok()?;
            replicas::lsn_of_simple_rows(&rows)
        };
        if let Ok(Some(lsn)) = tokio::time::timeout(Duration::from_secs(1), asked).await {
            position::wrote(position::Position(lsn));
        }
    }

    /// [`Self::timed`] for a write, then [`Self::note_position`].
    async fn timed_write<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let written = self.timed(call).await?;
        self.note_position().await;
        Ok(written)
    }

    /// Runs one store call under the deadline, its statements sent as this store's mode
    /// says; past the deadline the database counts as unavailable.
    async fn timed<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let call = statements::with_mode(self.statements, call);
        tokio::time::timeout(self.operation_timeout, call)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Unavailable(format!(
                    "PostgreSQL did not answer within {} s",
                    self.operation_timeout.as_secs()
                )))
            })
    }
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        let Some(batcher) = self.batcher.get() else {
            return;
        };
        let (commits, writes) = (batcher.stats().commits(), batcher.stats().writes());
        if commits > 0 {
            // bench/run-postgres reads this line.
            tracing::info!(
                commits,
                writes,
                writes_per_commit = writes as f64 / commits as f64,
                "postgres put batches stopped"
            );
        }
    }
}
