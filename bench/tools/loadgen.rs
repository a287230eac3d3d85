//! A fixed-rate (open-loop) load generator for latency percentiles, wrk2-style: request i
//! is due at start + i/rate, and its latency is counted from when it was due, so a stalled
//! server cannot hide its queue (no coordinated omission). Every request draws a random
//! contact from the seeded ids, which a URL-pattern tool like oha cannot do.
//! Also `ready`: polls `--path` (default /readyz) and prints the milliseconds since `--since-ns`.
//!
//! `bench-loadgen --url URL --key SECRET --ids FILE --workspace WKS
//!  --mode put|get|list|email|deep|deepk|mixed --rate R --seconds S [--warmup S] [--connections C]
//!  [--answers FILE]`
//! `deepk` pages by keyset after the contact id in the environment's `BENCH_AFTER`.
//! `--answers`: every PUT answered 200 (warm-up included) as `contact<TAB>name<TAB>unix_ns`
//! of its answer, for the webhook delivery lag (bench/tools/webhook_lag.py).

use rand::RngExt;
use rand::seq::IndexedRandom;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{Mutex, Semaphore};

#[derive(Default)]
struct Args {
    url: String,
    key: String,
    ids: String,
    workspace: String,
    mode: String,
    rate: f64,
    seconds: f64,
    warmup: f64,
    connections: usize,
    since_ns: u128,
    path: String,
    answers: Option<String>,
}

fn parse_args() -> anyhow::Result<Args> {
    let mut a = Args {
        mode: "put".to_owned(),
        rate: 1000.0,
        seconds: 5.0,
        warmup: 1.0,
        connections: 64,
        path: "/readyz".to_owned(),
        ..Args::default()
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "ready" {
            a.mode = "ready".to_owned();
            continue;
        }
        let v = it
            .next()
            .ok_or_else(|| anyhow::anyhow!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => a.url = v,
            "--key" => a.key = v,
            "--ids" => a.ids = v,
            "--workspace" => a.workspace = v,
            "--mode" => a.mode = v,
            "--rate" => a.rate = v.parse()?,
            "--seconds" => a.seconds = v.parse()?,
            "--warmup" => a.warmup = v.parse()?,
            "--connections" => a.connections = v.parse()?,
            "--since-ns" => a.since_ns = v.parse()?,
            "--path" => a.path = v,
            "--answers" => a.answers = Some(v),
            _ => anyhow::bail!("unknown flag {flag}"),
        }
    }
    Ok(a)
}

/// A request, and for a PUT the contact and the name it sets.
type Built = (reqwest::RequestBuilder, Option<(String, String)>);

fn build_request(client: &reqwest::Client, a: &Args, ids: &[(String, String)]) -> Option<Built> {
    let mut rng = rand::rng();
    let (id, email) = ids.choose(&mut rng)?;
    let ws = &a.workspace;
    let base = &a.url;
    let mode = match a.mode.as_str() {
        "mixed" if rng.random_range(0..10) < 2 => "put",
        "mixed" => "get",
        m => m,
    };
    let mut wrote = None;
    let request = match mode {
        "put" => {
            let name = format!("n{}", rng.random::<u32>());
            let body = format!(
                r#"{{"email":"{email}","name":"{name}","custom_fields":{{"plan":"pro"}}}}"#
            );
            wrote = Some((id.clone(), name));
            client
                .put(format!("{base}/v1/contacts/{id}"))
                .header("content-type", "application/json")
                .body(body)
        }
        "get" => client.get(format!("{base}/v1/contacts/{id}")),
        "list" => client.get(format!("{base}/v1/contacts?newsletter_id={ws}&limit=100")),
        "email" => client.get(format!(
            "{base}/v1/contacts?newsletter_id={ws}&email={email}"
        )),
        "deep" => client.get(format!(
            "{base}/v1/contacts?newsletter_id={ws}&limit=100&page=5000"
        )),
        "deepk" => client.get(format!(
            "{base}/v1/contacts?newsletter_id={ws}&limit=100&after={}",
            std::env::var("BENCH_AFTER").unwrap_or_default()
        )),
        _ => return None,
    };
    Some((
        request.header("authorization", format!("Bearer {}", a.key)),
        wrote,
    ))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn fixed_rate(a: Args) -> anyhow::Result<serde_json::Value> {
    let ids: Vec<(String, String)> = std::fs::read_to_string(&a.ids)?
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(i, e)| (i.to_owned(), e.to_owned()))
        .collect();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(a.connections)
        .build()?;
    let slots = Arc::new(Semaphore::new(a.connections));
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let errors = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let answered = Arc::new(Mutex::new(Vec::<(String, String, u128)>::new()));
    let start = Instant::now();
    let measured_from = start + Duration::from_secs_f64(a.warmup);
    let end = measured_from + Duration::from_secs_f64(a.seconds);
    let interval = Duration::from_secs_f64(1.0 / a.rate.max(1.0));
    let mut due = start;
    let mut tasks = tokio::task::JoinSet::new();
    while due < end {
        // Tokio's timer rounds to the millisecond; sleep short and yield the rest so a
        // late wake-up of this generator is not counted as server latency.
        if let Some(early) = due.checked_sub(Duration::from_millis(1)) {
            tokio::time::sleep_until(early.into()).await;
        }
        while Instant::now() < due {
            tokio::task::yield_now().await;
        }
        let now = Instant::now();
        // Issue everything that is due (the timer wakes at most once a millisecond).
        while due <= now && due < end {
            let Some((request, wrote)) = build_request(&client, &a, &ids) else {
                anyhow::bail!("no ids or unknown mode {}", a.mode);
            };
            let (slots, latencies, errors) = (slots.clone(), latencies.clone(), errors.clone());
            let answered = answered.clone();
            let keep_answers = a.answers.is_some();
            let this_due = due;
            tasks.spawn(async move {
                let Ok(_slot) = slots.acquire_owned().await else {
                    return;
                };
                let ok = match request.send().await {
                    Ok(response) => {
                        let good = response.status().is_success();
                        good && response.bytes().await.is_ok()
                    }
                    Err(_) => false,
                };
                if ok
                    && keep_answers
                    && let Some((id, name)) = wrote
                {
                    let at = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos());
                    answered.lock().await.push((id, name, at));
                }
                if this_due >= measured_from {
                    if ok {
                        let ms = this_due.elapsed().as_secs_f64() * 1000.0;
                        latencies.lock().await.push(ms);
                    } else {
                        errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                }
            });
            due += interval;
        }
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
    let mut lat = std::mem::take(&mut *latencies.lock().await);
    lat.sort_by(f64::total_cmp);
    let errors = errors.load(std::sync::atomic::Ordering::Relaxed);
    if let Some(path) = &a.answers {
        use std::io::Write;
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for (id, name, at) in answered.lock().await.iter() {
            writeln!(out, "{id}\t{name}\t{at}")?;
        }
        out.flush()?;
    }
    Ok(json!({
        "mode": a.mode, "rate_target": a.rate, "connections": a.connections,
        "ok": lat.len(), "errors": errors,
        "achieved": lat.len() as f64 / a.seconds,
        "p50_ms": percentile(&lat, 0.5), "p90_ms": percentile(&lat, 0.9),
        "p99_ms": percentile(&lat, 0.99), "max_ms": lat.last().copied().unwrap_or(0.0),
    }))
}

async fn wait_ready(a: Args) -> anyhow::Result<serde_json::Value> {
    let client = reqwest::Client::new();
    let give_up = Instant::now() + Duration::from_secs(60);
    while Instant::now() < give_up {
        let ready = client
            .get(format!("{}{}", a.url, a.path))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if ready {
            let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos();
            let ms = now.saturating_sub(a.since_ns) as f64 / 1e6;
            return Ok(json!({"ready_ms": ms}));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    anyhow::bail!("{} was not ready within 60 s", a.url)
}

fn main() -> anyhow::Result<()> {
    let a = parse_args()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let out = runtime.block_on(async {
        if a.mode == "ready" {
            wait_ready(a).await
        } else {
            fixed_rate(a).await
        }
    })?;
    println!("{out}");
    Ok(())
}
