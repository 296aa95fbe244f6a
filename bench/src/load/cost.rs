//! `--scenario cost`: what one request of each kind costs the server, closed loop (a fixed
//! number of clients, each sending its next request when the last is answered), so the
//! server runs flat out and CPU per request is the figure. The kinds peel the send path
//! apart: `unknown` is a 404 (the instance, settings and router only), `health` adds
//! opening SQLite and Redis, `me` a session lookup, `send` a whole message send.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result};

use crate::{api::Api, procfs::cpu_percent, stats::Percentiles, traffic::Meters};

/// The request kinds, cheapest first.
pub const KINDS: [&str; 4] = ["unknown", "health", "me", "send"];

/// One kind's figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Cost {
    /// Which request.
    pub kind: String,
    /// Answered per second.
    pub per_second: f64,
    /// Server CPU per request, microseconds.
    pub server_cpu_us: f64,
    /// Server CPU, % of one core.
    pub server_cpu_percent: f64,
    /// Time to the answer.
    pub latency: Percentiles,
    /// Answers that were not the expected status.
    pub unexpected: u64,
}

/// Runs every kind for `seconds` with `clients` clients.
pub async fn measure(
    api: &Api,
    tag: &str,
    clients: usize,
    seconds: f64,
    meters: &Meters,
) -> Result<Vec<Cost>> {
    let crew = api.crew(&format!("{tag}c"), clients, 1, 8).await?;
    let mut costs = Vec::new();
    for kind in KINDS {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let unexpected = Arc::new(AtomicU64::new(0));
        let times = Arc::new(std::sync::Mutex::new(Vec::new()));
        let cpu_before = meters.server.cpu_seconds();
        let started = Instant::now();
        let mut workers = Vec::new();
        for (n, room) in crew.iter().enumerate() {
            let member = room.first().context("an empty room")?.clone();
            let (api, stop, done, unexpected, times) = (
                api.clone(),
                stop.clone(),
                done.clone(),
                unexpected.clone(),
                times.clone(),
            );
            workers.push(tokio::spawn(async move {
                let mut i = 0u64;
                while !stop.load(Relaxed) {
                    i += 1;
                    let request = match kind {
                        "unknown" => api.client.get(format!("{}/api/no-such-route", api.base)),
                        "health" => api.client.get(format!("{}/api/health", api.base)),
                        "me" => api
                            .client
                            .get(format!("{}/api/me", api.base))
                            .bearer_auth(&member.token),
                        _ => api.send_message(&member, "cost", &format!("c{n}-{i}")),
                    };
                    let began = Instant::now();
                    let status = match request.send().await {
                        Ok(response) => {
                            let status = response.status().as_u16();
                            let _ = response.bytes().await;
                            status
                        }
                        Err(_) => 0,
                    };
                    let expected = match kind {
                        "unknown" => 404,
                        "send" => 201,
                        _ => 200,
                    };
                    if status != expected {
                        unexpected.fetch_add(1, Relaxed);
                    }
                    done.fetch_add(1, Relaxed);
                    if let Ok(mut t) = times.lock() {
                        t.push(began.elapsed().as_secs_f64() * 1000.0);
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
        let cpu_after = meters.server.cpu_seconds();
        let elapsed = started.elapsed().as_secs_f64();
        let answered = done.load(Relaxed);
        stop.store(true, Relaxed);
        for worker in workers {
            let _ = worker.await;
        }
        let cost = Cost {
            kind: kind.to_owned(),
            per_second: answered as f64 / elapsed,
            server_cpu_us: (cpu_after - cpu_before) * 1e6 / answered.max(1) as f64,
            server_cpu_percent: cpu_percent(cpu_before, cpu_after, elapsed),
            latency: Percentiles::of(times.lock().map(|t| t.clone()).unwrap_or_default()),
            unexpected: unexpected.load(Relaxed),
        };
        println!(
            "  {:<8} {:>7.0} req/s, server {:>4.0}% CPU = {:>5.0} us per request; p50 {:.1} ms p99 {:.1} ms; unexpected answers {}",
            cost.kind,
            cost.per_second,
            cost.server_cpu_percent,
            cost.server_cpu_us,
            cost.latency.p50,
            cost.latency.p99,
            cost.unexpected
        );
        costs.push(cost);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(costs)
}
