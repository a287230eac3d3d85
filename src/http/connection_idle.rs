//! The idle timeout of one connection: it is closed once it has gone `timeout` without a
//! request in flight, counted from when it was accepted or its last answer was sent. This
//! covers what hyper's HTTP/1 header timeout does not: a connection that never sends a
//! byte (the protocol is not known yet), and HTTP/2, whose half-sent headers or idle
//! streams would otherwise hold the connection forever.

use axum::body::{Body, Bytes, HttpBody};
use http_body::{Frame, SizeHint};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Instant;

/// What one connection is doing.
pub struct Activity {
    in_flight: AtomicUsize,
    idle_since: Mutex<Instant>,
}

/// One request in flight on the connection, until its answer is sent (or dropped).
pub struct InFlight(Arc<Activity>);

impl Activity {
    /// A connection accepted now, with nothing in flight.
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
        })
    }

    /// Marks a request as started; the connection is busy until the guard drops.
    pub fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(self))
    }

    fn idle_since(&self) -> Instant {
        *self
            .idle_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Completes once the connection has had nothing in flight for `timeout`.
    pub async fn expired(&self, timeout: Duration) {
        loop {
            let deadline = if self.in_flight.load(Ordering::SeqCst) > 0 {
                // Busy: the request's own limits apply; look again a timeout later.
                Instant::now() + timeout
            } else {
                let deadline = self.idle_since() + timeout;
                if Instant::now() >= deadline {
                    return;
                }
                deadline
            };
            tokio::time::sleep_until(deadline).await;
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        // Stamp first, so a watchdog that sees zero in flight sees this time too.
        *self
            .0
            .idle_since
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An answer's body that keeps its request in flight until it has been sent.
pub struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl TrackedBody {
    /// `body`, holding `in_flight` until it is sent or dropped.
    pub fn wrap(body: Body, in_flight: InFlight) -> Body {
        Body::new(TrackedBody {
            body,
            _in_flight: in_flight,
        })
    }
}

impl HttpBody for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
