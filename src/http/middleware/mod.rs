//! What wraps every request, outermost first in `http::router`: response compression;
//! request ids, the log line and the time limit; metrics; refusing malformed requests
//! (`protocol`); the caps on requests in flight; authentication (with its key
//! cache); rate limiting; idempotency; the replica position of reads and writes
//! (`position`). The per-address connection cap runs in the accept
//! loop (`http::server`).

pub mod auth;
pub mod connection_limit;
pub mod idempotency;
pub mod key_cache;
pub mod metrics;
pub mod observe;
pub mod overload;
pub mod position;
pub mod protocol;
pub mod rate_limit;
