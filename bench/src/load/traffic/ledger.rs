//! The ledger of one step: each send by its place in the schedule, when it was sent and
//! acknowledged, and which stream users have received it, each counted once.

use std::{
    collections::BTreeMap,
    sync::{
        Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering::Relaxed},
    },
    time::Instant,
};

use serde_json::Value;

use super::Plan;

/// What one step's messages did, message by message (`k` = the k-th send of the step).
pub(super) struct Ledger {
    pub(super) step: usize,
    pub(super) rooms: usize,
    pub(super) per_room: usize,
    pub(super) start: Instant,
    /// The measured window: sends `from..to`.
    pub(super) from: usize,
    pub(super) to: usize,
    /// Microseconds after `start` at which send k began, plus one (0: not yet).
    pub(super) sent_at: Vec<AtomicU64>,
    pub(super) acknowledged: Vec<AtomicBool>,
    /// Per stream user, one bit per message: seen already.
    pub(super) seen: Vec<Vec<AtomicU64>>,
    /// Measured deliveries seen (acknowledged or not yet): for progress lines.
    pub(super) delivered: AtomicU64,
    pub(super) duplicates: AtomicU64,
    /// (send, latency in ms) of each measured delivery.
    pub(super) latencies: Mutex<Vec<(usize, f64)>>,
    pub(super) post_times: Mutex<Vec<f64>>,
    pub(super) sent: AtomicU64,
    pub(super) rate_limited: AtomicU64,
    pub(super) failed: AtomicU64,
    pub(super) failures: Mutex<BTreeMap<String, u64>>,
    pub(super) in_flight: AtomicU64,
    pub(super) in_flight_max: AtomicU64,
}

impl Ledger {
    pub(super) fn new(step: usize, rooms: usize, per_room: usize, plan: &Plan) -> Self {
        let total = ((plan.warmup + plan.duration).as_secs_f64() * plan.rate).round() as usize;
        let from = (plan.warmup.as_secs_f64() * plan.rate).round() as usize;
        let words = total.div_ceil(64);
        Ledger {
            step,
            rooms,
            per_room,
            start: Instant::now(),
            from,
            to: total,
            sent_at: (0..total).map(|_| AtomicU64::new(0)).collect(),
            acknowledged: (0..total).map(|_| AtomicBool::new(false)).collect(),
            seen: (0..rooms * per_room)
                .map(|_| (0..words).map(|_| AtomicU64::new(0)).collect())
                .collect(),
            delivered: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            latencies: Mutex::new(Vec::new()),
            post_times: Mutex::new(Vec::new()),
            sent: AtomicU64::new(0),
            rate_limited: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            failures: Mutex::new(BTreeMap::new()),
            in_flight: AtomicU64::new(0),
            in_flight_max: AtomicU64::new(0),
        }
    }

    pub(super) fn measured(&self, k: usize) -> bool {
        (self.from..self.to).contains(&k)
    }

    pub(super) fn micros(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// A `message` event on the stream of `user` (a member of `room`).
    pub(super) fn arrived(&self, user: usize, room: usize, data: &Value) {
        let now = self.micros();
        let Some(k) = data["message"]["client_id"]
            .as_str()
            .and_then(|id| parse_client_id(id, self.step))
        else {
            return; // another step's message, or not the generator's
        };
        if k >= self.to || k % self.rooms != room {
            return;
        }
        let bit = 1u64 << (k % 64);
        if self.seen[user][k / 64].fetch_or(bit, Relaxed) & bit != 0 {
            self.duplicates.fetch_add(1, Relaxed);
            return;
        }
        let sent = self.sent_at[k].load(Relaxed);
        if self.measured(k) && sent > 0 {
            self.delivered.fetch_add(1, Relaxed);
            let ms = now.saturating_sub(sent - 1) as f64 / 1000.0;
            if let Ok(mut latencies) = self.latencies.lock() {
                latencies.push((k, ms));
            }
        }
    }

    /// Latencies of the deliveries of acknowledged messages, and how many deliveries were
    /// of messages whose send was not acknowledged (an error or no answer, though the
    /// server had stored the message: a client's retry with the same client_id would
    /// have been told so).
    pub(super) fn deliveries(&self) -> (Vec<f64>, u64) {
        let Ok(latencies) = self.latencies.lock() else {
            return (Vec::new(), 0);
        };
        let (acknowledged, other): (Vec<_>, Vec<_>) = latencies
            .iter()
            .partition(|(k, _)| self.acknowledged[*k].load(Relaxed));
        (
            acknowledged.into_iter().map(|(_, ms)| ms).collect(),
            other.len() as u64,
        )
    }

    /// Deliveries owed for acknowledged, measured messages.
    pub(super) fn expected(&self) -> u64 {
        let acknowledged = (self.from..self.to)
            .filter(|k| self.acknowledged[*k].load(Relaxed))
            .count();
        (acknowledged * self.per_room) as u64
    }

    pub(super) fn fail(&self, k: usize, why: String) {
        if self.measured(k) {
            self.failed.fetch_add(1, Relaxed);
            if let Ok(mut failures) = self.failures.lock() {
                *failures.entry(why).or_default() += 1;
            }
        }
    }
}

pub(super) fn client_id(step: usize, k: usize) -> String {
    format!("ld-{step}-{k}")
}

pub(super) fn parse_client_id(id: &str, step: usize) -> Option<usize> {
    let (id_step, k) = id.strip_prefix("ld-")?.split_once('-')?;
    (id_step.parse::<usize>().ok()? == step).then(|| k.parse().ok())?
}
