//! PostgreSQL: the same trait for several purrlist nodes on one database. A pool of
//! connections (deadpool); every call has a deadline, so a database that is down or
//! restarting gives `Unavailable` (503) quickly and the pool reconnects by itself.

mod admin;
mod bulk;
mod contacts;
mod errors;
mod events;
mod idempotency;
mod rows;
mod schema;
mod store_trait;
mod tls;
mod transfer;
mod unsubscribe;

use crate::store::StoreError;
use anyhow::Context;
use deadpool_postgres::{Client, Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use errors::map_pool_error;
use std::future::Future;
use std::time::Duration;

/// PostgreSQL settings.
#[derive(Debug, Clone, Copy)]
pub struct PostgresOptions {
    /// Most connections this node holds.
    pub pool_size: usize,
    /// How long opening one connection may take.
    pub connect_timeout: Duration,
    /// How long one store call may take, waiting for a connection included.
    pub operation_timeout: Duration,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            pool_size: 16,
            connect_timeout: Duration::from_secs(5),
            operation_timeout: Duration::from_secs(25),
        }
    }
}

/// The PostgreSQL store.
pub struct PostgresStore {
    pool: Pool,
    operation_timeout: Duration,
}

impl PostgresStore {
    /// Connects, migrates, and builds the pool for `url` (`postgres://…`).
    pub async fn open(url: &str, options: &PostgresOptions) -> anyhow::Result<PostgresStore> {
        let (mut config, tls) = tls::configure(url)?;
        config
            .connect_timeout(options.connect_timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(30));
        if config.get_application_name().is_none() {
            config.application_name("purrlist");
        }
        schema::migrate(&config, tls.clone())
            .await
            .context("cannot migrate the PostgreSQL database")?;
        let manager = Manager::from_config(
            config,
            tls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.operation_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .build()
            .context("cannot build the PostgreSQL pool")?;
        Ok(PostgresStore {
            pool,
            operation_timeout: options.operation_timeout,
        })
    }

    async fn client(&self) -> Result<Client, StoreError> {
        self.pool.get().await.map_err(map_pool_error)
    }

    /// Runs one store call under the deadline; past it the database counts as unavailable.
    async fn timed<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
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
