//! Caps on requests in flight: past one the server answers `503 overloaded` at once instead
//! of queueing work it cannot finish in time. The API (keyed `/v1` paths and `/readyz`)
//! and the public routes that need no key (unsubscribe pages, docs) have separate,
//! differently sized budgets, so anyone on the internet holding public requests open cannot
//! make the API refuse its clients. A refused page for people is answered in HTML.

use super::auth::needs_key;
use crate::http::error::ApiError;
use crate::http::pages;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Paths never refused for load: liveness must answer while the server is busy.
const ALWAYS_SERVED: &[&str] = &["/healthz", "/metrics"];

/// The two budgets of requests in flight.
#[derive(Clone)]
pub struct Budgets {
    api: Arc<Semaphore>,
    public: Arc<Semaphore>,
}

impl Budgets {
    /// `api` places for keyed requests (and readiness), `public` for the rest.
    pub fn new(api: usize, public: usize) -> Budgets {
        Budgets {
            api: Arc::new(Semaphore::new(api)),
            public: Arc::new(Semaphore::new(public)),
        }
    }

    fn for_path(&self, path: &str) -> Option<&Arc<Semaphore>> {
        if ALWAYS_SERVED.contains(&path) {
            None
        } else if needs_key(path) || path == "/readyz" {
            Some(&self.api)
        } else {
            Some(&self.public)
        }
    }
}

/// Serves the request if its budget has a free place, else refuses it with 503.
pub async fn shed_load(budgets: Budgets, req: Request, next: Next) -> Response {
    let Some(budget) = budgets.for_path(req.uri().path()) else {
        return next.run(req).await;
    };
    match Arc::clone(budget).try_acquire_owned() {
        Ok(_permit) => next.run(req).await,
        Err(_) if pages::is_page(req.uri().path()) => pages::error_page(&ApiError::overloaded()),
        Err(_) => ApiError::overloaded().into_response(),
    }
}
