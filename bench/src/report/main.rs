//! Turns the load generator's JSON lines (and, optionally, the anchor kit's lines for
//! Cloudflare's demo) into the tables and SVG plots of docs/benchmarks.md:
//!
//! ```text
//! report --results results.jsonl [--demo demo.jsonl] --svg-dir docs/benchmarks \
//!        --markdown fragment.md
//! ```
//!
//! Plots: the latency distribution of every scenario per bus mode (the demo dashed beside
//! it), and the ramp's p99 against the send rate.

mod svg;

use std::{collections::BTreeMap, fmt::Write as _, fs, path::PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// One scenario's figures, from either source.
#[derive(Debug, Clone, Default)]
struct Row {
    source: String,
    scenario: String,
    rate: f64,
    sent: f64,
    acknowledged: f64,
    failed: f64,
    expected: f64,
    delivered: f64,
    duplicates: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
    cdf: Vec<f64>,
    cpu: f64,
    cpu_us_per_delivery: f64,
    rss_max_mib: f64,
    redis_cpu: f64,
    kib_per_stream: f64,
    descriptors_per_stream: f64,
    streams: f64,
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// A line of `bench --bin load`.
fn ours(v: &Value) -> Row {
    let latency = &v["latency"];
    Row {
        source: v["label"].as_str().unwrap_or("").to_owned(),
        scenario: v["scenario"].as_str().unwrap_or("").to_owned(),
        rate: num(&v["rate"]),
        sent: num(&v["sent"]),
        acknowledged: num(&v["acknowledged"]),
        failed: num(&v["failed"]) + num(&v["rate_limited"]),
        expected: num(&v["expected"]),
        delivered: num(&v["delivered"]),
        duplicates: num(&v["duplicates"]),
        p50: num(&latency["p50"]),
        p95: num(&latency["p95"]),
        p99: num(&latency["p99"]),
        max: num(&latency["max"]),
        cdf: latency["cdf"]
            .as_array()
            .map(|a| a.iter().map(num).collect())
            .unwrap_or_default(),
        cpu: num(&v["server_cpu_percent"]),
        // Every server process counts: Spin, and Redis where it is used.
        cpu_us_per_delivery: {
            let delivered = num(&v["delivered"]);
            let both = num(&v["server_cpu_percent"]) + num(&v["redis_cpu_percent"]);
            if delivered > 0.0 {
                both / 100.0 * num(&v["seconds"]) * 1e6 / delivered
            } else {
                0.0
            }
        },
        rss_max_mib: num(&v["server_rss_mib"][1]),
        redis_cpu: num(&v["redis_cpu_percent"]),
        kib_per_stream: num(&v["kib_per_stream"]),
        descriptors_per_stream: num(&v["descriptors_per_stream"]),
        streams: num(&v["streams"]),
    }
}

/// A line of the anchor kit's `chat-load.mjs` (label `workerd/<scenario>`).
fn demo(v: &Value) -> Row {
    let load = &v["load"];
    let latency = &load["latencyMs"];
    let scenario = v["label"]
        .as_str()
        .and_then(|l| l.split('/').nth(1))
        .unwrap_or("")
        .to_owned();
    if v["mode"] == "idle" {
        let idle = &v["idle"];
        return Row {
            source: "demo".into(),
            scenario: "idle".into(),
            kib_per_stream: num(&idle["rssDeltaPerConnKB"]),
            streams: num(&v["connect"]["ready"]),
            ..Row::default()
        };
    }
    let delivered = num(&load["deliveriesReceived"]);
    let cpu = num(&load["server"]["cpuPctSendWindow"]);
    let window = num(&load["sendWindowS"]);
    Row {
        source: "demo".into(),
        scenario,
        rate: num(&load["targetRate"]),
        sent: num(&load["sent"]),
        acknowledged: num(&load["acceptedMsgs"]),
        failed: num(&load["otherErrors"]) + num(&load["rejectedRateLimited"]),
        expected: num(&load["deliveriesExpected"]),
        delivered,
        duplicates: num(&load["dupes"]),
        p50: num(&latency["p50"]),
        p95: num(&latency["p95"]),
        p99: num(&latency["p99"]),
        max: num(&latency["max"]),
        cdf: Vec::new(),
        cpu,
        cpu_us_per_delivery: if delivered > 0.0 {
            cpu / 100.0 * window * 1e6 / delivered
        } else {
            0.0
        },
        rss_max_mib: num(&load["server"]["rssKBMaxDuring"]) / 1024.0,
        redis_cpu: 0.0,
        kib_per_stream: 0.0,
        descriptors_per_stream: 0.0,
        streams: 0.0,
    }
}

fn lines(path: &PathBuf) -> Result<Vec<Value>> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).with_context(|| format!("a line of {}", path.display())))
        .collect()
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let mut options = BTreeMap::new();
    while let Some(key) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{key} needs a value"))?;
        options.insert(key, value);
    }
    let Some(results) = options.get("--results").map(PathBuf::from) else {
        bail!("usage: report --results FILE [--demo FILE] --svg-dir DIR --markdown FILE");
    };
    let svg_dir = PathBuf::from(options.get("--svg-dir").map_or("docs/benchmarks", |s| s));
    let markdown = PathBuf::from(options.get("--markdown").map_or("benchmarks.md", |s| s));
    let svg_link = options
        .get("--svg-link")
        .cloned()
        .unwrap_or_else(|| "benchmarks".into());

    let values = lines(&results)?;
    let mut rows: Vec<Row> = values
        .iter()
        .filter(|v| v["scenario"] != "cost")
        .map(ours)
        .collect();
    let costs: Vec<&Value> = values.iter().filter(|v| v["scenario"] == "cost").collect();
    if let Some(path) = options.get("--demo") {
        rows.extend(lines(&PathBuf::from(path))?.iter().map(demo));
    }
    fs::create_dir_all(&svg_dir)?;

    let mut md = String::new();
    let fixed = ["i", "ii", "iii", "iv"];
    let sources: Vec<String> = {
        let mut s: Vec<String> = rows.iter().map(|r| r.source.clone()).collect();
        s.sort();
        s.dedup();
        s
    };
    writeln!(
        md,
        "| scenario | server | sent | acknowledged | delivered / expected (duplicates) | loss | p50 | p95 | p99 | max | server CPU (+ Redis) | CPU per delivery | server RSS max |"
    )?;
    writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    for scenario in fixed {
        for row in rows.iter().filter(|r| r.scenario == scenario) {
            let loss = if row.expected > 0.0 {
                100.0 * (1.0 - row.delivered / row.expected)
            } else {
                0.0
            };
            writeln!(
                md,
                "| {} ({:.0} msg/s) | {} | {:.0} | {:.0} | {:.0} / {:.0} ({:.0}) | {:.2} % | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms | {:.0} %{} | {:.0} us | {:.0} MiB |",
                scenario,
                row.rate,
                server_name(&row.source),
                row.sent,
                row.acknowledged,
                row.delivered,
                row.expected,
                row.duplicates,
                loss,
                row.p50,
                row.p95,
                row.p99,
                row.max,
                row.cpu,
                if row.redis_cpu > 0.0 {
                    format!(" + {:.0} %", row.redis_cpu)
                } else {
                    String::new()
                },
                row.cpu_us_per_delivery,
                row.rss_max_mib
            )?;
        }
    }

    let ramp: Vec<&Row> = rows.iter().filter(|r| r.scenario == "ramp").collect();
    if !ramp.is_empty() {
        writeln!(
            md,
            "\nRamp (scenario iv's shape, 200 rooms x 2, rising rates until p99 > 100 ms or anything is lost):\n"
        )?;
        writeln!(
            md,
            "| server | rate | acknowledged / sent | delivered / expected | p50 | p99 | server CPU | held |"
        )?;
        writeln!(md, "|---|---|---|---|---|---|---|---|")?;
        for row in &ramp {
            let held = row.failed == 0.0 && row.delivered >= row.expected && row.p99 <= 100.0;
            writeln!(
                md,
                "| {} | {:.0} msg/s | {:.0} / {:.0} | {:.0} / {:.0} | {:.1} ms | {:.1} ms | {:.0} % | {} |",
                server_name(&row.source),
                row.rate,
                row.acknowledged,
                row.sent,
                row.delivered,
                row.expected,
                row.p50,
                row.p99,
                row.cpu,
                if held { "yes" } else { "no" }
            )?;
        }
        for source in &sources {
            let steps: Vec<&&Row> = ramp.iter().filter(|r| &r.source == source).collect();
            let Some(first) = steps.first() else {
                continue;
            };
            let best = steps
                .iter()
                .take_while(|r| r.failed == 0.0 && r.delivered >= r.expected && r.p99 <= 100.0)
                .map(|r| r.rate)
                .fold(0.0, f64::max);
            if best > 0.0 {
                writeln!(
                    md,
                    "\nSustainable on {}: **{best:.0} msg/s**.",
                    server_name(source)
                )?;
            } else {
                writeln!(
                    md,
                    "\nSustainable on {}: below the first step, {:.0} msg/s.",
                    server_name(source),
                    first.rate
                )?;
            }
        }
    }

    let idle: Vec<&Row> = rows.iter().filter(|r| r.scenario == "idle").collect();
    if !idle.is_empty() {
        writeln!(
            md,
            "\n| idle streams | server | memory per stream | descriptors per stream |"
        )?;
        writeln!(md, "|---|---|---|---|")?;
        for row in idle {
            let descriptors = if row.source == "demo" {
                "-".to_owned()
            } else {
                format!("{:.1}", row.descriptors_per_stream)
            };
            writeln!(
                md,
                "| {:.0} | {} | {:.0} KiB | {descriptors} |",
                row.streams,
                server_name(&row.source),
                row.kib_per_stream
            )?;
        }
    }

    for cost in costs {
        writeln!(
            md,
            "\nCost per request on {} (closed loop, the server flat out):\n",
            server_name(cost["label"].as_str().unwrap_or(""))
        )?;
        writeln!(
            md,
            "| request | answered per second | server CPU per request | p50 | p99 |"
        )?;
        writeln!(md, "|---|---|---|---|---|")?;
        for kind in cost["costs"].as_array().into_iter().flatten() {
            writeln!(
                md,
                "| {} | {:.0} | {:.0} us | {:.1} ms | {:.1} ms |",
                kind["kind"].as_str().unwrap_or(""),
                num(&kind["per_second"]),
                num(&kind["server_cpu_us"]),
                num(&kind["latency"]["p50"]),
                num(&kind["latency"]["p99"])
            )?;
        }
    }

    // Plots.
    writeln!(md)?;
    for source in sources.iter().filter(|s| s.as_str() != "demo") {
        let mut series = Vec::new();
        for (n, scenario) in fixed.iter().enumerate() {
            if let Some(row) = rows
                .iter()
                .find(|r| &r.source == source && r.scenario == *scenario && !r.cdf.is_empty())
            {
                series.push(svg::Series {
                    name: format!("{scenario}: {}", shape(scenario)),
                    colour: n,
                    dashed: false,
                    points: cdf_points(&row.cdf),
                });
            }
            if let Some(row) = rows
                .iter()
                .find(|r| r.source == "demo" && r.scenario == *scenario)
            {
                // The anchor kit reports percentiles only: p50, p95, p99, max.
                let points = vec![
                    (row.p50, 50.0),
                    (row.p95, 95.0),
                    (row.p99, 99.0),
                    (row.max, 100.0),
                ];
                series.push(svg::Series {
                    name: format!("{scenario} (demo)"),
                    colour: n,
                    dashed: true,
                    points,
                });
            }
        }
        if series.is_empty() {
            continue;
        }
        let file = format!("latency-{source}.svg");
        fs::write(
            svg_dir.join(&file),
            svg::latency_distribution(
                &format!("Send-to-arrival latency, {}", server_name(source)),
                &series,
            ),
        )?;
        writeln!(
            md,
            "![latency distribution, {}]({svg_link}/{file})",
            server_name(source)
        )?;
    }
    if !ramp.is_empty() {
        let series: Vec<svg::Series> = sources
            .iter()
            .enumerate()
            .filter_map(|(n, source)| {
                let points: Vec<(f64, f64)> = ramp
                    .iter()
                    .filter(|r| &r.source == source)
                    .map(|r| (r.rate, r.p99.max(0.1)))
                    .collect();
                (!points.is_empty()).then(|| svg::Series {
                    name: server_name(source),
                    colour: n,
                    dashed: false,
                    points,
                })
            })
            .collect();
        fs::write(svg_dir.join("ramp.svg"), svg::ramp(&series, 100.0))?;
        writeln!(md, "\n![ramp: p99 against send rate]({svg_link}/ramp.svg)")?;
    }
    fs::write(&markdown, md)?;
    println!(
        "wrote {} and plots in {}",
        markdown.display(),
        svg_dir.display()
    );
    Ok(())
}

/// What a scenario is, for legends.
fn shape(scenario: &str) -> &'static str {
    match scenario {
        "i" => "1 room x 2, 50/s",
        "ii" => "1 x 100, 20/s",
        "iii" => "1 x 500, 10/s",
        "iv" => "200 x 2, 500/s",
        _ => "",
    }
}

/// The table's name for a source label.
fn server_name(source: &str) -> String {
    match source {
        "redis" => "Spin, Redis mode".into(),
        "embedded" => "Spin, embedded mode".into(),
        "demo" => "Cloudflare demo (workerd)".into(),
        other => other.to_owned(),
    }
}

/// (latency, percentile) pairs from the generator's CDF: 0..=100 then 99.9.
fn cdf_points(cdf: &[f64]) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = cdf
        .iter()
        .take(101)
        .enumerate()
        .map(|(p, v)| (*v, p as f64))
        .collect();
    if let Some(p999) = cdf.get(101) {
        points.insert(100, (*p999, 99.9));
    }
    points
}
