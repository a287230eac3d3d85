//! The accept loop: HTTP/1.1 and HTTP/2 on each connection; every connection closed once it
//! goes `header_read_timeout` without a request in flight (`connection_idle`: silent,
//! slow with its headers, or idle), and HTTP/2 peers pinged so dead ones are noticed
//! mid-request; an optional cap on connections per client address; and a graceful
//! shutdown that stops accepting and lets in-flight requests finish.

use super::Limits;
use super::connection_idle::{Activity, TrackedBody};
use crate::http::middleware::connection_limit::{ConnectionLimit, refuse};
use axum::Router;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// The router as a hyper service whose requests count as the connection's activity until
/// their answers are sent, each carrying the connection's peer address.
fn tracked(
    router: Router,
    activity: Arc<Activity>,
    peer: SocketAddr,
) -> TowerToHyperService<
    impl tower::Service<
        Request<Incoming>,
        Response = Response,
        Error = Infallible,
        Future = impl Future<Output = Result<Response, Infallible>> + Send,
    > + Clone,
> {
    TowerToHyperService::new(tower::service_fn(move |mut req: Request<Incoming>| {
        let in_flight = activity.begin();
        // The peer, for the evidence writes keep (`http::client_evidence`).
        req.extensions_mut().insert(ConnectInfo(peer));
        let answer = router.clone().oneshot(req);
        async move {
            let response = answer.await?;
            Ok(response.map(|body| TrackedBody::wrap(body, in_flight)))
        }
    }))
}

/// Serves `router` on `listener` until `shutdown` completes, then waits for the open
/// connections to finish their requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    let timeout = limits.header_read_timeout;
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(Some(timeout))
        .keep_alive_timeout(timeout);
    let per_address = limits.max_connections_per_address;
    let connection_limit = ConnectionLimit::new(per_address);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like pass; back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = connection_limit.admit(peer.ip()) else {
            tracing::debug!(address = %peer.ip(), "connection refused: too many from this address");
            tokio::spawn(refuse(stream, per_address));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let activity = Activity::new();
        let service = tracked(router.clone(), Arc::clone(&activity), peer);
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
        let connection = graceful.watch(connection.into_owned());
        tokio::spawn(async move {
            tokio::select! {
                // A client that goes away mid-request is not an error of ours.
                _ = connection => {}
                () = activity.expired(timeout) => {
                    tracing::debug!(address = %peer.ip(), "connection closed: no request within the timeout");
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
