//! The load generator: the anchor kit's scenarios (and a ramp and an idle count) against a
//! running chat server, real streams and real sends, figures printed and appended as JSON
//! lines. A figure, never a test: nothing here asserts a time.
//!
//! ```text
//! cargo run --release -p chat-bench --bin load -- --url http://127.0.0.1:3000 --scenario iv \
//!     [--rate 500] [--seconds 15] [--warmup 2] [--pids 123,124] [--redis-pid 99] [--database-pid 98] \
//!     [--label redis] [--out results.jsonl] [--quiet]
//! ```
//!
//! Scenarios: `i` 1 room x 2 at 50 msg/s, `ii` 1 x 100 at 20, `iii` 1 x 500 at 10, `iv`
//! 200 x 2 at 500, `ramp` iv at rising rates (`--from`, `--step`, `--to`) until p99 passes
//! `--p99-limit` ms (100) or anything is lost, `idle` `--streams` open streams (1000) and
//! the server memory and descriptors each costs, `cost` the server CPU of one request of
//! each kind (closed loop, `--clients`). Users and rooms are made before the timed part; the
//! server must run with send and signup limits lifted (bench/run.sh does).

mod api;
mod cost;
mod procfs;
mod stats;
mod traffic;

use std::{collections::HashMap, io::Write, path::PathBuf, time::Duration};

use anyhow::{Context, Result, bail};
use procfs::Processes;
use stats::Summary;
use traffic::{Meters, Plan, Traffic};

/// The command line, `--key value` pairs.
struct Args(HashMap<String, String>);

impl Args {
    fn parse() -> Result<Self> {
        let mut map = HashMap::new();
        let mut args = std::env::args().skip(1);
        while let Some(key) = args.next() {
            let Some(name) = key.strip_prefix("--") else {
                bail!("unexpected argument {key} (options are --name value)");
            };
            if name == "quiet" || name == "help" {
                map.insert(name.to_owned(), "true".to_owned());
                continue;
            }
            let value = args
                .next()
                .with_context(|| format!("--{name} needs a value"))?;
            map.insert(name.to_owned(), value);
        }
        Ok(Args(map))
    }

    fn text(&self, name: &str, default: &str) -> String {
        self.0
            .get(name)
            .cloned()
            .unwrap_or_else(|| default.to_owned())
    }

    fn number(&self, name: &str, default: f64) -> Result<f64> {
        match self.0.get(name) {
            Some(v) => v
                .parse()
                .with_context(|| format!("--{name} {v}: not a number")),
            None => Ok(default),
        }
    }

    fn count(&self, name: &str, default: usize) -> Result<usize> {
        match self.0.get(name) {
            Some(v) => v
                .parse()
                .with_context(|| format!("--{name} {v}: not a count")),
            None => Ok(default),
        }
    }

    fn pids(&self, name: &str) -> Result<Vec<u32>> {
        self.0
            .get(name)
            .map(|list| {
                list.split(',')
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| {
                        p.trim()
                            .parse()
                            .with_context(|| format!("--{name}: bad pid {p}"))
                    })
                    .collect()
            })
            .unwrap_or(Ok(Vec::new()))
    }
}

/// Rooms, members per room and rate of the fixed scenarios.
fn shape(scenario: &str) -> Option<(usize, usize, f64)> {
    match scenario {
        "i" => Some((1, 2, 50.0)),
        "ii" => Some((1, 100, 20.0)),
        "iii" => Some((1, 500, 10.0)),
        "iv" | "ramp" => Some((200, 2, 500.0)),
        _ => None,
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse()?;
    if args.0.contains_key("help") {
        println!("{}", include_str!("usage.txt"));
        return Ok(());
    }
    let url = args.text("url", "http://127.0.0.1:3000");
    let scenario = args.text("scenario", "i");
    let label = args.text("label", "");
    let out = args.0.get("out").map(PathBuf::from);
    let parallel = args.count("setup-parallel", 8)?;
    let meters = Meters {
        server: Processes::new(args.pids("pids")?),
        redis: Processes::new(args.pids("redis-pid")?),
        database: Processes::new(args.pids("database-pid")?),
    };
    if meters.server.is_empty() {
        eprintln!("note: no --pids given, so no server CPU or memory figures");
    }
    let api = api::Api::new(&url)?;
    // Names unique per run, so runs against one database never collide: the process id
    // and the second, side by side (their XOR, as before, let two runs of one session
    // collide: a later scenario's set-up then met 409 username_taken).
    let tag = format!(
        "ld{:x}x{:x}",
        std::process::id(),
        chrono_seconds() & 0xffff_ffff
    );

    let mut summaries = Vec::new();
    if scenario == "cost" {
        let clients = args.count("clients", 16)?;
        let seconds = args.number("seconds", 10.0)?;
        println!("== {label} / cost: {clients} clients, closed loop, {seconds} s per kind");
        let costs = cost::measure(&api, &tag, clients, seconds, &meters).await?;
        if let Some(path) = &out {
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)?;
            writeln!(
                file,
                "{}",
                serde_json::json!({"label": label, "scenario": "cost", "costs": costs})
            )?;
        }
        return Ok(());
    }
    if scenario == "idle" {
        let streams = args.count("streams", 1000)?;
        let hold = Duration::from_secs_f64(args.number("hold", 5.0)?);
        let mut summary = idle(&api, &tag, streams, hold, parallel, &meters).await?;
        summary.label.clone_from(&label);
        summaries.push(summary);
    } else {
        let Some((rooms, per_room, default_rate)) = shape(&scenario) else {
            bail!("unknown scenario {scenario}: i, ii, iii, iv, ramp, idle or cost");
        };
        let plan = Plan {
            rate: args.number("rate", default_rate)?,
            warmup: Duration::from_secs_f64(args.number("warmup", 2.0)?),
            duration: Duration::from_secs_f64(args.number("seconds", 15.0)?),
            drain: Duration::from_secs_f64(args.number("drain", 10.0)?),
            message_length: args.count("message-length", 64)?,
            progress: !args.0.contains_key("quiet"),
        };
        eprintln!("setup: {rooms} room(s) x {per_room} users at {url}");
        let crew = api.crew(&tag, rooms, per_room, parallel).await?;
        let traffic = Traffic::connect(&api, crew, 100).await?;
        eprintln!("setup: {} streams open", rooms * per_room);
        if scenario == "ramp" {
            let from = args.number("from", 250.0)?;
            let step = args.number("step", 250.0)?;
            let to = args.number("to", 3000.0)?;
            let p99_limit = args.number("p99-limit", 100.0)?;
            let mut rate = from;
            let mut n = 0;
            while rate <= to {
                eprintln!("ramp: {rate} msg/s");
                let mut summary = traffic
                    .run(
                        n,
                        &Plan {
                            rate,
                            ..plan.clone()
                        },
                        &meters,
                    )
                    .await;
                summary.label.clone_from(&label);
                summary.scenario = "ramp".into();
                summary.print();
                let held =
                    summary.loss == 0.0 && summary.failed == 0 && summary.latency.p99 <= p99_limit;
                summaries.push(summary);
                if !held {
                    break;
                }
                rate += step;
                n += 1;
                // Let the server settle between steps.
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
        } else {
            let mut summary = traffic.run(0, &plan, &meters).await;
            summary.label.clone_from(&label);
            summary.scenario.clone_from(&scenario);
            summaries.push(summary);
        }
        traffic.stop();
    }
    for summary in &summaries {
        if scenario != "ramp" {
            summary.print();
        }
    }
    if let Some(path) = out {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        for summary in &summaries {
            writeln!(file, "{}", serde_json::to_string(summary)?)?;
        }
    }
    Ok(())
}

/// Seconds since the epoch (for run tags only).
fn chrono_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// `streams` users each with one open stream; the server's memory before and after.
async fn idle(
    api: &api::Api,
    tag: &str,
    streams: usize,
    hold: Duration,
    parallel: usize,
    meters: &Meters,
) -> Result<Summary> {
    eprintln!("setup: {streams} users");
    let crew = api.crew(tag, streams, 1, parallel).await?;
    // Let instances from the setup go away before the baseline.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = meters.server.rss_kib();
    let descriptors_before = meters.server.descriptors();
    let traffic = Traffic::connect(api, crew, 100).await?;
    tokio::time::sleep(hold).await;
    let after = meters.server.rss_kib();
    let descriptors_after = meters.server.descriptors();
    let failures = traffic.stream_failures();
    traffic.stop();
    Ok(Summary {
        scenario: "idle".into(),
        streams,
        stream_failures: failures,
        server_rss_mib: [
            before as f64 / 1024.0,
            after as f64 / 1024.0,
            after as f64 / 1024.0,
        ],
        kib_per_stream: after.saturating_sub(before) as f64 / streams.max(1) as f64,
        descriptors_per_stream: descriptors_after.saturating_sub(descriptors_before) as f64
            / streams.max(1) as f64,
        server_descriptors_max: descriptors_after,
        redis_rss_mib: meters.redis.rss_kib() as f64 / 1024.0,
        ..Summary::default()
    })
}
