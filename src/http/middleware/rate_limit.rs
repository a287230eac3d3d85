//! Per-API-key rate limiting: one token bucket per key id, held in this process's memory
//! (so with N nodes behind a balancer a key may send up to N times the limit).

use super::auth::Caller;
use crate::domain::ids::ApiKeyId;
use crate::http::AppState;
use crate::http::error::ApiError;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// How fast one key may send requests; `per_second == 0` turns limiting off.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per second per key; 0 = no limit.
    pub per_second: u32,
    /// Requests a key may send at once after a quiet spell; 0 = same as `per_second`.
    pub burst: u32,
}

impl RateLimit {
    /// Whether requests are limited at all.
    pub fn is_on(&self) -> bool {
        self.per_second > 0
    }

    /// The size of each key's bucket.
    pub fn capacity(&self) -> u32 {
        if self.burst == 0 {
            self.per_second.max(1)
        } else {
            self.burst
        }
    }
}

/// Above this many buckets, full (idle) ones are dropped, so memory follows active keys.
const PRUNE_ABOVE: usize = 4096;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// What the limiter decided for one request, with the numbers for the headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the request may go on.
    pub allowed: bool,
    /// `RateLimit-Limit`: the bucket size.
    pub limit: u32,
    /// `RateLimit-Remaining`: whole requests left right now.
    pub remaining: u32,
    /// `RateLimit-Reset`: seconds until the bucket is full again.
    pub reset_seconds: u64,
    /// `Retry-After` when refused: seconds until one request is allowed.
    pub retry_after_seconds: u64,
}

/// The buckets of every key seen recently.
#[derive(Debug)]
pub struct RateLimiter {
    limit: RateLimit,
    buckets: Mutex<HashMap<ApiKeyId, Bucket>>,
}

impl RateLimiter {
    /// A limiter for `limit` (which must be on).
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter {
            limit,
            buckets: Mutex::default(),
        }
    }

    /// Takes one token from `key`'s bucket at time `now`, if it has one.
    pub fn check(&self, key: &ApiKeyId, now: Instant) -> Verdict {
        let capacity = f64::from(self.limit.capacity());
        let rate = f64::from(self.limit.per_second.max(1));
        // A poisoned lock only means another request panicked mid-update; the map is still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= PRUNE_ABOVE && !buckets.contains_key(key) {
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * rate < capacity
            });
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * rate).min(capacity);
        bucket.at = now.max(bucket.at);
        let allowed = bucket.tokens >= 1.0;
        if allowed {
            bucket.tokens -= 1.0;
        }
        let tokens = bucket.tokens;
        Verdict {
            allowed,
            limit: self.limit.capacity(),
            remaining: tokens.floor() as u32,
            reset_seconds: ((capacity - tokens) / rate).ceil() as u64,
            retry_after_seconds: if allowed {
                0
            } else {
                ((1.0 - tokens) / rate).ceil().max(1.0) as u64
            },
        }
    }
}

impl Verdict {
    /// Adds the IETF `RateLimit-*` headers (and `Retry-After` when refused).
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert("ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("ratelimit-reset", HeaderValue::from(self.reset_seconds));
        if !self.allowed {
            headers.insert(
                axum::http::header::RETRY_AFTER,
                HeaderValue::from(self.retry_after_seconds),
            );
        }
    }
}

/// Runs after authentication: counts the request against its key's bucket and answers
/// `429 rate_limited` when the bucket is empty. Other keys are never affected.
pub async fn limit_rate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(limiter) = state.rate_limiter.as_deref() else {
        return next.run(req).await;
    };
    let Some(caller) = req.extensions().get::<Caller>() else {
        return next.run(req).await;
    };
    let verdict = limiter.check(&caller.key.id, Instant::now());
    let mut response = if verdict.allowed {
        next.run(req).await
    } else {
        ApiError::rate_limited().into_response()
    };
    verdict.write_headers(response.headers_mut());
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn limiter(per_second: u32, burst: u32) -> RateLimiter {
        RateLimiter::new(RateLimit { per_second, burst })
    }

    #[test]
    fn a_full_bucket_allows_burst_requests_then_refuses() {
        let l = limiter(2, 5);
        let key = ApiKeyId::generate();
        let now = Instant::now();
        let remaining: Vec<u32> = (0..5)
            .map(|_| l.check(&key, now))
            .map(|v| {
                assert!(v.allowed);
                v.remaining
            })
            .collect();
        assert_eq!(remaining, [4, 3, 2, 1, 0]);
        let refused = l.check(&key, now);
        assert!(!refused.allowed);
        assert_eq!(refused.retry_after_seconds, 1);
        assert_eq!(refused.reset_seconds, 3);
        assert_eq!(refused.limit, 5);
    }

    #[test]
    fn tokens_come_back_at_the_configured_rate() {
        let l = limiter(10, 1);
        let key = ApiKeyId::generate();
        let start = Instant::now();
        assert!(l.check(&key, start).allowed);
        assert!(!l.check(&key, start + Duration::from_millis(50)).allowed);
        assert!(l.check(&key, start + Duration::from_millis(101)).allowed);
    }

    #[test]
    fn one_key_emptying_its_bucket_leaves_other_keys_alone() {
        let l = limiter(1, 1);
        let (a, b) = (ApiKeyId::generate(), ApiKeyId::generate());
        let now = Instant::now();
        assert!(l.check(&a, now).allowed);
        assert!(!l.check(&a, now).allowed);
        assert!(l.check(&b, now).allowed);
    }

    #[test]
    fn burst_zero_means_one_second_of_requests() {
        assert_eq!(
            RateLimit {
                per_second: 7,
                burst: 0
            }
            .capacity(),
            7
        );
        assert!(!RateLimit::default().is_on());
    }

    #[test]
    fn idle_buckets_are_pruned_when_many_keys_were_seen() {
        let l = limiter(1000, 1);
        let now = Instant::now();
        for _ in 0..PRUNE_ABOVE {
            l.check(&ApiKeyId::generate(), now);
        }
        l.check(&ApiKeyId::generate(), now + Duration::from_secs(1));
        let kept = l.buckets.lock().expect("lock").len();
        assert_eq!(kept, 1);
    }
}
