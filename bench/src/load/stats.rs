//! Latency percentiles and the summary one scenario run prints and appends as a JSON line
//! (what `bench/run.sh` and the `report` binary turn into tables and plots).

use serde::{Deserialize, Serialize};

/// Percentiles of a set of latencies, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// How many samples.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// The slowest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// The distribution for plots: the latency at each whole percentile 0..=100, then 99.9.
    pub cdf: Vec<f64>,
}

impl Percentiles {
    /// Percentiles of `samples` (sorted here).
    pub fn of(mut samples: Vec<f64>) -> Self {
        if samples.is_empty() {
            return Percentiles::default();
        }
        samples.sort_by(f64::total_cmp);
        let at = |q: f64| -> f64 {
            // Nearest rank: the smallest sample with at least q of the samples at or below.
            let rank = (q * samples.len() as f64).ceil() as usize;
            samples[rank.clamp(1, samples.len()) - 1]
        };
        let mut cdf: Vec<f64> = (0..=100).map(|p| at(f64::from(p) / 100.0)).collect();
        cdf.push(at(0.999));
        Percentiles {
            count: samples.len(),
            p50: at(0.50),
            p95: at(0.95),
            p99: at(0.99),
            max: at(1.0),
            mean: samples.iter().sum::<f64>() / samples.len() as f64,
            cdf,
        }
    }
}

/// Everything one run of one scenario measured.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Free label (`bench/run.sh` puts the bus mode here: `redis`, `embedded`).
    pub label: String,
    /// Scenario name (`i`, `ii`, `iii`, `iv`, `ramp`, `idle`).
    pub scenario: String,
    /// Rooms x members per room.
    pub rooms: usize,
    /// Members per room.
    pub per_room: usize,
    /// Target send rate, messages per second.
    pub rate: f64,
    /// Measured seconds (after warm-up).
    pub seconds: f64,
    /// Messages sent in the measured window.
    pub sent: u64,
    /// Of those, acknowledged (201).
    pub acknowledged: u64,
    /// Of those, answered 429.
    pub rate_limited: u64,
    /// Of those, failed otherwise (other status or no answer).
    pub failed: u64,
    /// Status codes other than 201 and their counts.
    pub failures: std::collections::BTreeMap<String, u64>,
    /// Deliveries expected: every acknowledged message to every member's stream.
    pub expected: u64,
    /// Deliveries seen, each (stream user, message) counted once.
    pub delivered: u64,
    /// Deliveries of messages whose send was not acknowledged (stored all the same).
    pub delivered_unacknowledged: u64,
    /// Deliveries seen more than once on the same user's stream.
    pub duplicates: u64,
    /// 1 - delivered / expected.
    pub loss: f64,
    /// Send-to-arrival latency over every delivery, the sender's own stream included.
    pub latency: Percentiles,
    /// Time to the POST's answer.
    pub post: Percentiles,
    /// Sends in flight at most at once.
    pub in_flight_max: u64,
    /// Streams the server ended by itself (they reconnect with Last-Event-ID).
    pub stream_reconnects: u64,
    /// Stream opens that failed (status other than 200, or no connection).
    pub stream_failures: u64,
    /// Server CPU over the measured window, % of one core.
    pub server_cpu_percent: f64,
    /// Server CPU per delivered message, microseconds.
    pub server_cpu_us_per_delivery: f64,
    /// Server resident memory, MiB: at the start of the window, the most seen, at the end.
    pub server_rss_mib: [f64; 3],
    /// Redis CPU over the window, % of one core.
    pub redis_cpu_percent: f64,
    /// Redis resident memory at the end, MiB.
    pub redis_rss_mib: f64,
    /// The database server's CPU over the window (sqld; 0 for a local file), % of one core.
    #[serde(default)]
    pub database_cpu_percent: f64,
    /// This benchmark's own CPU, % of one core.
    pub client_cpu_percent: f64,
    /// Idle scenario: streams held open.
    pub streams: usize,
    /// Idle scenario: server memory per open stream, KiB.
    pub kib_per_stream: f64,
    /// Idle scenario: server file descriptors per open stream.
    pub descriptors_per_stream: f64,
    /// Server file descriptors at most during the window (or, idle: with every stream open).
    pub server_descriptors_max: u64,
}

impl Summary {
    /// The human-readable report.
    pub fn print(&self) {
        println!("== {} / {}", self.label, self.scenario);
        if self.scenario == "idle" {
            println!(
                "  {} streams open: server RSS {:.1} -> {:.1} MiB, {:.0} KiB per stream; {:.1} descriptors per stream ({} in all); {} failed to open",
                self.streams,
                self.server_rss_mib[0],
                self.server_rss_mib[2],
                self.kib_per_stream,
                self.descriptors_per_stream,
                self.server_descriptors_max,
                self.stream_failures
            );
            return;
        }
        println!(
            "  {} room(s) x {}, {:.0} msg/s for {:.0} s: sent {}, acknowledged {}, rate-limited {}, failed {} {:?}",
            self.rooms,
            self.per_room,
            self.rate,
            self.seconds,
            self.sent,
            self.acknowledged,
            self.rate_limited,
            self.failed,
            self.failures
        );
        println!(
            "  delivered {}/{} (loss {:.3}%), duplicates {}; also delivered, though the send was not acknowledged: {}",
            self.delivered,
            self.expected,
            self.loss * 100.0,
            self.duplicates,
            self.delivered_unacknowledged
        );
        let l = &self.latency;
        println!(
            "  latency ms: p50 {:.1} p95 {:.1} p99 {:.1} max {:.1} (mean {:.1}); POST p50 {:.1} p99 {:.1}; in flight at most {}",
            l.p50, l.p95, l.p99, l.max, l.mean, self.post.p50, self.post.p99, self.in_flight_max
        );
        println!(
            "  server CPU {:.0}% ({:.0} us per delivery), RSS {:.0}/{:.0}/{:.0} MiB (start/max/end), descriptors at most {}; Redis CPU {:.0}% RSS {:.0} MiB; database server CPU {:.0}%; this client CPU {:.0}%; stream reconnects {}, failed opens {}",
            self.server_cpu_percent,
            self.server_cpu_us_per_delivery,
            self.server_rss_mib[0],
            self.server_rss_mib[1],
            self.server_rss_mib[2],
            self.server_descriptors_max,
            self.redis_cpu_percent,
            self.redis_rss_mib,
            self.database_cpu_percent,
            self.client_cpu_percent,
            self.stream_reconnects,
            self.stream_failures
        );
    }
}

#[cfg(test)]
mod tests {
    use super::Percentiles;

    #[test]
    fn nearest_rank_percentiles() {
        let p = Percentiles::of((1..=100).map(f64::from).rev().collect());
        assert_eq!((p.p50, p.p95, p.p99, p.max), (50.0, 95.0, 99.0, 100.0));
        assert_eq!(p.count, 100);
        assert_eq!(p.cdf.len(), 102);
        assert_eq!(p.cdf[0], 1.0);
        assert_eq!(p.cdf[100], 100.0);
        assert_eq!(p.mean, 50.5);
    }

    #[test]
    fn no_samples_no_figures() {
        assert_eq!(Percentiles::of(Vec::new()), Percentiles::default());
    }
}
