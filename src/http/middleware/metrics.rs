//! `GET /metrics`: request counts and latencies in the Prometheus text format, kept in
//! memory per process (each node of a cluster is scraped on its own).

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default)]
struct Latency {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Default)]
struct Tallies {
    /// (route, method, status) → requests.
    requests: BTreeMap<(String, &'static str, u16), u64>,
    /// route → latency histogram.
    latency: BTreeMap<String, Latency>,
}

/// The counters of one process.
#[derive(Clone, Default)]
pub struct Metrics {
    tallies: Arc<Mutex<Tallies>>,
    started: Option<Instant>,
}

impl Metrics {
    /// Empty counters, with the process start time for uptime.
    pub fn new() -> Metrics {
        Metrics {
            tallies: Arc::default(),
            started: Some(Instant::now()),
        }
    }

    fn observe(&self, route: String, method: &'static str, status: u16, seconds: f64) {
        let Ok(mut tallies) = self.tallies.lock() else {
            return;
        };
        *tallies
            .requests
            .entry((route.clone(), method, status))
            .or_default() += 1;
        let latency = tallies.latency.entry(route).or_default();
        latency.count += 1;
        latency.sum += seconds;
        for (bucket, bound) in latency.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let uptime = self.started.map_or(0.0, |s| s.elapsed().as_secs_f64());
        let _ = writeln!(
            out,
            "# HELP purrlist_uptime_seconds Seconds since this process started."
        );
        let _ = writeln!(
            out,
            "# TYPE purrlist_uptime_seconds gauge\npurrlist_uptime_seconds {uptime:.3}"
        );
        if let Some(rss) = resident_bytes() {
            let _ = writeln!(
                out,
                "# HELP process_resident_memory_bytes Resident memory size in bytes."
            );
            let _ = writeln!(
                out,
                "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes {rss}"
            );
        }
        let Ok(tallies) = self.tallies.lock() else {
            return out;
        };
        let _ = writeln!(
            out,
            "# HELP purrlist_http_requests_total HTTP requests answered, by route, method and status."
        );
        let _ = writeln!(out, "# TYPE purrlist_http_requests_total counter");
        for ((route, method, status), n) in &tallies.requests {
            let _ = writeln!(
                out,
                "purrlist_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP purrlist_http_request_duration_seconds Time to answer, by route."
        );
        let _ = writeln!(
            out,
            "# TYPE purrlist_http_request_duration_seconds histogram"
        );
        for (route, latency) in &tallies.latency {
            let name = "purrlist_http_request_duration_seconds";
            for (bound, n) in BUCKETS.iter().zip(latency.buckets) {
                let _ = writeln!(out, "{name}_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(
                out,
                "{name}_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                latency.count
            );
            let _ = writeln!(out, "{name}_sum{{route=\"{route}\"}} {:.6}", latency.sum);
            let _ = writeln!(out, "{name}_count{{route=\"{route}\"}} {}", latency.count);
        }
        out
    }
}

/// VmRSS of this process, on Linux.
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Label values come only from fixed sets (matched route patterns, known methods), so the
/// number of series stays bounded whatever clients send.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Counts every answered request.
pub async fn record(State(metrics): State<Metrics>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    metrics.observe(
        route,
        method,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Request counts by route, method and status, latency histograms by route, resident
/// memory, and the import jobs' counters, in the Prometheus text format; per process, no
/// API key.
#[utoipa::path(
    get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Counters in the Prometheus text format.", content_type = "text/plain"))
)]
pub async fn metrics(State(state): State<crate::http::AppState>) -> Response {
    let mut text = state.metrics.render();
    state.imports.metrics().render(&mut text);
    text.push_str(&state.webhooks.metrics.render(&*state.store).await);
    let mut response = text.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
