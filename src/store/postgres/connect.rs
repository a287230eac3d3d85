//! How the pool opens a connection: always on the runtime that built the pool (the
//! server's), whichever task asked for it. A tokio socket belongs to the runtime it was
//! made on, and its driver task runs there; the webhook deliverer runs on a thread of its
//! own at a lower CPU priority (`crate::background`), and a pooled connection it
//! happened to open must not leave the API's queries waiting on that thread.

use deadpool_postgres::Connect;
use futures_util::future::BoxFuture;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;
use tokio_postgres::{Client, Config, Error};
use tokio_postgres_rustls::MakeRustlsConnect;

/// Opens connections on the runtime that was current when it was made.
pub(super) struct OnBuildersRuntime {
    tls: MakeRustlsConnect,
    runtime: Handle,
}

impl OnBuildersRuntime {
    /// Must be called on a tokio runtime: the one connections will belong to.
    pub(super) fn new(tls: MakeRustlsConnect) -> anyhow::Result<OnBuildersRuntime> {
        Ok(OnBuildersRuntime {
            tls,
            runtime: Handle::try_current()?,
        })
    }
}

impl Connect for OnBuildersRuntime {
    fn connect(&self, config: &Config) -> BoxFuture<'_, Result<(Client, JoinHandle<()>), Error>> {
        let (tls, config, runtime) = (self.tls.clone(), config.clone(), self.runtime.clone());
        Box::pin(async move {
            let (client, connection) = Entered {
                runtime: runtime.clone(),
                inner: Box::pin(config.connect(tls)),
            }
            .await?;
            let driver = runtime.spawn(async move {
                if let Err(e) = connection.await {
                    tracing::warn!(error = %e, "PostgreSQL connection closed with an error");
                }
            });
            Ok((client, driver))
        })
    }
}

/// A future polled inside `runtime`'s context, so the socket and timers it makes are that
/// runtime's, whichever runtime polls it.
struct Entered<F> {
    runtime: Handle,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for Entered<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        let _inside = this.runtime.enter();
        this.inner.as_mut().poll(cx)
    }
}
