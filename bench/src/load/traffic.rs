//! The timed part: every member's live stream open, messages sent at a fixed rate (open
//! loop: the schedule does not wait for answers, as real users do not), each delivery
//! matched to its send by the message's `client_id` and counted once per stream user,
//! across the streams' own reconnects (they resume with `Last-Event-ID`).

use std::{
    sync::{
        Arc, Mutex, RwLock,
        atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed},
    },
    time::{Duration, Instant},
};

use anyhow::{Result, bail};
use chat_tests::{Next, SseFrame, SseStream};
use tokio::task::JoinHandle;

mod ledger;

use ledger::{Ledger, client_id};

use crate::{
    api::{Api, Member},
    procfs::{Processes, cpu_percent},
    stats::{Percentiles, Summary},
};

/// How one step sends.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Messages per second, all senders together.
    pub rate: f64,
    /// Sending before the measured window (connections and caches warm up).
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    /// How long to wait for late deliveries after the last send.
    pub drain: Duration,
    /// Characters per message body.
    pub message_length: usize,
    /// Print a line of progress every second.
    pub progress: bool,
}

/// The processes whose cost is reported.
pub struct Meters {
    /// The server (`spin up` and `spin trigger http`, or chat-dev).
    pub server: Processes,
    /// Redis, reported apart.
    pub redis: Processes,
    /// A database server (sqld), reported apart; none for a local SQLite file.
    pub database: Processes,
}

/// What the streams share with the senders.
#[derive(Default)]
struct Shared {
    ledger: RwLock<Option<Arc<Ledger>>>,
    ready: AtomicUsize,
    reconnects: AtomicU64,
    failures: AtomicU64,
}

/// Open streams for a crew, and the senders that drive them.
pub struct Traffic {
    api: Api,
    rooms: Vec<Vec<Member>>,
    shared: Arc<Shared>,
    streams: Vec<JoinHandle<()>>,
}

impl Traffic {
    /// Opens one stream per member (`parallel` opening at once) and waits until every one
    /// has answered 200, so the first send finds everybody listening.
    pub async fn connect(api: &Api, rooms: Vec<Vec<Member>>, parallel: usize) -> Result<Self> {
        let shared = Arc::new(Shared::default());
        let mut streams = Vec::new();
        let per_room = rooms.first().map_or(0, Vec::len);
        let total = rooms.len() * per_room;
        for (r, members) in rooms.iter().enumerate() {
            for (m, member) in members.iter().enumerate() {
                // Open in waves, so connecting does not itself become the load.
                while streams.len() - shared.ready.load(Relaxed) >= parallel.max(1) {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                streams.push(tokio::spawn(listen(
                    api.clone(),
                    member.token.clone(),
                    r * per_room + m,
                    r,
                    shared.clone(),
                )));
            }
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        while shared.ready.load(Relaxed) < total {
            if Instant::now() > deadline {
                bail!(
                    "only {} of {total} streams opened in 120 s",
                    shared.ready.load(Relaxed)
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Traffic {
            api: api.clone(),
            rooms,
            shared,
            streams,
        })
    }

    /// Streams that failed to open (non-200 or no connection) so far.
    pub fn stream_failures(&self) -> u64 {
        self.shared.failures.load(Relaxed)
    }

    /// One measured step at `plan.rate`; `step` tells its messages from other steps'.
    pub async fn run(&self, step: usize, plan: &Plan, meters: &Meters) -> Summary {
        let rooms = self.rooms.len();
        let per_room = self.rooms.first().map_or(0, Vec::len);
        let ledger = Arc::new(Ledger::new(step, rooms, per_room, plan));
        if let Ok(mut current) = self.shared.ledger.write() {
            *current = Some(ledger.clone());
        }
        let reconnects_before = self.shared.reconnects.load(Relaxed);
        let failures_before = self.shared.failures.load(Relaxed);
        let client = Processes::this_process();
        let body_tail = "x".repeat(plan.message_length);

        let window = Arc::new(Mutex::new(Window::default()));
        let watcher = tokio::spawn(watch(
            ledger.clone(),
            window.clone(),
            meters.server.clone(),
            plan.progress,
        ));

        let mut posts = Vec::with_capacity(ledger.to);
        for k in 0..ledger.to {
            let at = ledger.start + Duration::from_secs_f64(k as f64 / plan.rate);
            tokio::time::sleep_until(at.into()).await;
            if k == ledger.from {
                window_open(&window, meters, &client);
            }
            let member = &self.rooms[k % rooms][(k / rooms) % per_room];
            let mut body = format!("load {k} ");
            body.push_str(&body_tail);
            body.truncate(plan.message_length.max(8));
            posts.push(tokio::spawn(send(
                self.api.clone(),
                ledger.clone(),
                k,
                member.clone(),
                body,
            )));
        }
        if ledger.from >= ledger.to {
            window_open(&window, meters, &client);
        }
        window_close(&window, meters, &client);
        for post in posts {
            let _ = post.await;
        }
        let drain_until = Instant::now() + plan.drain;
        while (ledger.deliveries().0.len() as u64) < ledger.expected()
            && Instant::now() < drain_until
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        watcher.abort();

        let expected = ledger.expected();
        let (latencies, delivered_unacknowledged) = ledger.deliveries();
        let delivered = latencies.len() as u64;
        let post_times = ledger
            .post_times
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default();
        let window = window.lock().map(|w| w.clone()).unwrap_or_default();
        let seconds = window.seconds();
        let server_cpu = window.server_cpu(seconds);
        Summary {
            rooms,
            per_room,
            rate: plan.rate,
            seconds,
            sent: ledger.sent.load(Relaxed),
            acknowledged: (ledger.from..ledger.to)
                .filter(|k| ledger.acknowledged[*k].load(Relaxed))
                .count() as u64,
            rate_limited: ledger.rate_limited.load(Relaxed),
            failed: ledger.failed.load(Relaxed),
            failures: ledger
                .failures
                .lock()
                .map(|f| f.clone())
                .unwrap_or_default(),
            expected,
            delivered,
            delivered_unacknowledged,
            duplicates: ledger.duplicates.load(Relaxed),
            loss: if expected == 0 {
                0.0
            } else {
                1.0 - delivered as f64 / expected as f64
            },
            latency: Percentiles::of(latencies),
            post: Percentiles::of(post_times),
            in_flight_max: ledger.in_flight_max.load(Relaxed),
            stream_reconnects: self.shared.reconnects.load(Relaxed) - reconnects_before,
            stream_failures: self.shared.failures.load(Relaxed) - failures_before,
            server_cpu_percent: server_cpu,
            server_cpu_us_per_delivery: if delivered == 0 {
                0.0
            } else {
                (window.server_cpu_end - window.server_cpu_start) * 1e6 / delivered as f64
            },
            server_rss_mib: [
                window.rss_start_kib as f64 / 1024.0,
                window.rss_max_kib as f64 / 1024.0,
                window.rss_end_kib as f64 / 1024.0,
            ],
            redis_cpu_percent: cpu_percent(window.redis_cpu_start, window.redis_cpu_end, seconds),
            redis_rss_mib: meters.redis.rss_kib() as f64 / 1024.0,
            database_cpu_percent: cpu_percent(
                window.database_cpu_start,
                window.database_cpu_end,
                seconds,
            ),
            client_cpu_percent: cpu_percent(
                window.client_cpu_start,
                window.client_cpu_end,
                seconds,
            ),
            server_descriptors_max: window.descriptors_max,
            ..Summary::default()
        }
    }

    /// Closes every stream.
    pub fn stop(self) {
        for stream in self.streams {
            stream.abort();
        }
    }
}

/// Readings at the edges of the measured window.
#[derive(Debug, Clone, Default)]
struct Window {
    opened: Option<Instant>,
    closed: Option<Instant>,
    server_cpu_start: f64,
    server_cpu_end: f64,
    redis_cpu_start: f64,
    redis_cpu_end: f64,
    database_cpu_start: f64,
    database_cpu_end: f64,
    client_cpu_start: f64,
    client_cpu_end: f64,
    rss_start_kib: u64,
    rss_max_kib: u64,
    rss_end_kib: u64,
    descriptors_max: u64,
}

impl Window {
    fn seconds(&self) -> f64 {
        match (self.opened, self.closed) {
            (Some(a), Some(b)) => (b - a).as_secs_f64(),
            _ => 0.0,
        }
    }

    fn server_cpu(&self, seconds: f64) -> f64 {
        cpu_percent(self.server_cpu_start, self.server_cpu_end, seconds)
    }
}

fn window_open(window: &Mutex<Window>, meters: &Meters, client: &Processes) {
    if let Ok(mut w) = window.lock() {
        w.opened = Some(Instant::now());
        w.server_cpu_start = meters.server.cpu_seconds();
        w.redis_cpu_start = meters.redis.cpu_seconds();
        w.database_cpu_start = meters.database.cpu_seconds();
        w.client_cpu_start = client.cpu_seconds();
        w.rss_start_kib = meters.server.rss_kib();
        w.rss_max_kib = w.rss_start_kib;
    }
}

fn window_close(window: &Mutex<Window>, meters: &Meters, client: &Processes) {
    if let Ok(mut w) = window.lock() {
        w.closed = Some(Instant::now());
        w.server_cpu_end = meters.server.cpu_seconds();
        w.redis_cpu_end = meters.redis.cpu_seconds();
        w.database_cpu_end = meters.database.cpu_seconds();
        w.client_cpu_end = client.cpu_seconds();
        w.rss_end_kib = meters.server.rss_kib();
        w.rss_max_kib = w.rss_max_kib.max(w.rss_end_kib);
    }
}

/// Samples memory four times a second and prints progress every second.
async fn watch(ledger: Arc<Ledger>, window: Arc<Mutex<Window>>, server: Processes, progress: bool) {
    let mut tick = 0u64;
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        tick += 1;
        let rss = server.rss_kib();
        let descriptors = server.descriptors();
        if let Ok(mut w) = window.lock()
            && w.opened.is_some()
            && w.closed.is_none()
        {
            w.rss_max_kib = w.rss_max_kib.max(rss);
            w.descriptors_max = w.descriptors_max.max(descriptors);
        }
        if progress && tick.is_multiple_of(4) {
            eprintln!(
                "  [{:>5.1} s] sent {} acknowledged {} failed {} delivered {}/{} in flight {} server RSS {} MiB",
                ledger.start.elapsed().as_secs_f64(),
                ledger.sent.load(Relaxed),
                (0..ledger.to)
                    .filter(|k| ledger.acknowledged[*k].load(Relaxed))
                    .count(),
                ledger.failed.load(Relaxed),
                ledger.delivered.load(Relaxed),
                ledger.expected(),
                ledger.in_flight.load(Relaxed),
                rss / 1024
            );
        }
    }
}

/// Send k: latency is timed from just before the POST.
async fn send(api: Api, ledger: Arc<Ledger>, k: usize, member: Member, body: String) {
    let measured = ledger.measured(k);
    let in_flight = ledger.in_flight.fetch_add(1, Relaxed) + 1;
    ledger.in_flight_max.fetch_max(in_flight, Relaxed);
    let began = Instant::now();
    ledger.sent_at[k].store(ledger.micros() + 1, Relaxed);
    if measured {
        ledger.sent.fetch_add(1, Relaxed);
    }
    let answer = api
        .send_message(&member, &body, &client_id(ledger.step, k))
        .timeout(Duration::from_secs(30))
        .send()
        .await;
    let status = match answer {
        Ok(response) => {
            let status = response.status();
            // Read the body, so the connection goes back to the pool.
            let _ = response.bytes().await;
            Ok(status)
        }
        Err(e) => Err(e),
    };
    ledger.in_flight.fetch_sub(1, Relaxed);
    if measured && let Ok(mut times) = ledger.post_times.lock() {
        times.push(began.elapsed().as_secs_f64() * 1000.0);
    }
    match status {
        Ok(s) if s.as_u16() == 201 => ledger.acknowledged[k].store(true, Relaxed),
        Ok(s) if s.as_u16() == 429 => {
            if measured {
                ledger.rate_limited.fetch_add(1, Relaxed);
            }
        }
        Ok(s) => ledger.fail(k, s.as_u16().to_string()),
        Err(e) => ledger.fail(
            k,
            if e.is_timeout() {
                "timeout".into()
            } else {
                "no answer".into()
            },
        ),
    }
}

/// One member's live stream, reopened after every end with the last id seen, as the
/// browser's EventSource does.
async fn listen(api: Api, token: String, user: usize, room: usize, shared: Arc<Shared>) {
    let mut last_id: Option<String> = None;
    let mut opened_once = false;
    loop {
        let mut request = api
            .client
            .get(format!("{}/api/events", api.base))
            .bearer_auth(&token);
        if let Some(id) = &last_id {
            request = request.header("last-event-id", id);
        }
        let response = match request.send().await {
            Ok(response) if response.status().as_u16() == 200 => response,
            _ => {
                shared.failures.fetch_add(1, Relaxed);
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if !opened_once {
            opened_once = true;
            shared.ready.fetch_add(1, Relaxed);
        }
        let mut stream = SseStream::new(response);
        loop {
            match stream.next(Duration::from_secs(120)).await {
                Next::Frame(SseFrame::Event { id, kind, data }) => {
                    if id.is_some() {
                        last_id = id;
                    }
                    if kind == "message" {
                        let ledger = shared.ledger.read().ok().and_then(|l| l.clone());
                        if let Some(ledger) = ledger {
                            ledger.arrived(user, room, &data);
                        }
                    }
                }
                Next::Frame(_) => {}
                Next::Ended | Next::TimedOut => break,
            }
        }
        shared.reconnects.fetch_add(1, Relaxed);
    }
}

#[cfg(test)]
mod tests;
