//! The webhook receiver of the bench's S1-wh and S3-wh rows: answers every `POST` with 200
//! at once (the cheapest receiver a real integrator could run, so it is never what limits
//! delivery), and while recording notes, per delivery, the contact, the name the write set,
//! and the arrival time, for the delivery lag (bench/tools/webhook_lag.py).
//!
//! `bench-receiver --listen ADDR`
//!   POST /hook/...      a delivery: 200
//!   POST /record        forget what was noted, start noting
//!   POST /stop?expect=N&wait=S&out=FILE
//!                       wait until N deliveries were noted (at most S seconds), stop
//!                       noting, write them to FILE (`path<TAB>contact<TAB>name<TAB>unix_ns`
//!                       lines), answer how many
//!   GET /count          deliveries received since start

use axum::Router;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Query, State};
use axum::routing::{get, post};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

#[derive(Default)]
struct Receiver {
    received: AtomicU64,
    recording: AtomicBool,
    noted: Mutex<Vec<(String, String, String, u128)>>,
}

type Shared = State<Arc<Receiver>>;

fn unix_ns() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

async fn delivery(State(r): Shared, OriginalUri(uri): OriginalUri, body: Bytes) -> &'static str {
    let at = unix_ns();
    r.received.fetch_add(1, Ordering::Relaxed);
    if r.recording.load(Ordering::Relaxed) {
        // Only while recording: parsing costs the load's core.
        let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let data = &parsed["data"];
        let contact = data["contact"]["id"].as_str().unwrap_or("").to_owned();
        let name = data["changes"]["name"]["new"]
            .as_str()
            .unwrap_or("")
            .to_owned();
        if let Ok(mut noted) = r.noted.lock() {
            noted.push((uri.path().to_owned(), contact, name, at));
        }
    }
    "ok"
}

async fn record(State(r): Shared) -> &'static str {
    if let Ok(mut noted) = r.noted.lock() {
        noted.clear();
    }
    r.recording.store(true, Ordering::SeqCst);
    "recording"
}

async fn stop(State(r): Shared, Query(q): Query<HashMap<String, String>>) -> String {
    let expect: usize = q.get("expect").and_then(|v| v.parse().ok()).unwrap_or(0);
    let wait: f64 = q.get("wait").and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let give_up = Instant::now() + Duration::from_secs_f64(wait);
    while r.noted.lock().map_or(0, |n| n.len()) < expect && Instant::now() < give_up {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    r.recording.store(false, Ordering::SeqCst);
    let noted = r
        .noted
        .lock()
        .map(|mut n| std::mem::take(&mut *n))
        .unwrap_or_default();
    if let Some(path) = q.get("out") {
        let written = std::fs::File::create(path).and_then(|file| {
            let mut out = std::io::BufWriter::new(file);
            for (p, contact, name, at) in &noted {
                writeln!(out, "{p}\t{contact}\t{name}\t{at}")?;
            }
            out.flush()
        });
        if let Err(e) = written {
            return format!("error: {e}");
        }
    }
    noted.len().to_string()
}

async fn count(State(r): Shared) -> String {
    r.received.load(Ordering::Relaxed).to_string()
}

fn main() -> anyhow::Result<()> {
    let mut listen = "127.0.0.1:0".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        match (flag.as_str(), args.next()) {
            ("--listen", Some(v)) => listen = v,
            _ => anyhow::bail!("usage: bench-receiver --listen ADDR"),
        }
    }
    let state = Arc::new(Receiver::default());
    let app = Router::new()
        .route("/record", post(record))
        .route("/stop", post(stop))
        .route("/count", get(count))
        .fallback(delivery)
        .with_state(state);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen).await?;
        axum::serve(listener, app).await?;
        Ok(())
    })
}
