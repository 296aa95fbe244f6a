//! Send-to-receive latency: one user posts 200 messages into a room, one at a time; another
//! user's live event stream receives each. Prints p50/p99/max per bus backend. A figure,
//! not a test: nothing here asserts a time.
//!
//! `cargo run --release -p chat-bench --bin latency` runs the routers in-process on both
//! backends (needs redis-server); `-- --url http://127.0.0.1:3000` measures a running
//! instance instead (chat-dev or `spin up`; it signs up two fresh users).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use chat_core::settings::Settings;
use chat_tests::{Backend, SseStream, TestServer};
use serde_json::{Value, json};

const MESSAGES: usize = 200;

struct Target {
    base: String,
    client: reqwest::Client,
}

impl Target {
    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut request = self.client.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    }
}

async fn measure(target: &Target) -> Vec<Duration> {
    let tag = std::process::id();
    let mut tokens = Vec::new();
    for who in ["sender", "reader"] {
        let body = json!({"username": format!("{who}{tag}"), "password": "benchmark password"});
        let signed = target.post("/api/auth/signup", None, body).await;
        tokens.push(signed["token"].as_str().unwrap().to_owned());
    }
    let (sender, reader) = (&tokens[0], &tokens[1]);
    let room = target
        .post(
            "/api/rooms",
            Some(sender),
            json!({"name": format!("bench{tag}")}),
        )
        .await;
    let id = room["id"].as_str().unwrap().to_owned();
    target
        .post(
            &format!("/api/rooms/bench{tag}/join"),
            Some(reader),
            json!({}),
        )
        .await;

    let mut latencies = Vec::with_capacity(MESSAGES);
    let mut last_id: Option<String> = None;
    let mut stream = open(target, reader, None).await;
    let mut n = 0;
    while n < MESSAGES {
        let started = Instant::now();
        let path = format!("/api/conversations/{id}/messages");
        let body = json!({"body": format!("message {n}"), "client_id": format!("b{tag}-{n}")});
        target.post(&path, Some(sender), body).await;
        match stream.next_event(Duration::from_secs(30)).await {
            Some((event_id, kind, _)) if kind == "message" => {
                latencies.push(started.elapsed());
                last_id = event_id;
                n += 1;
            }
            Some(_) => {}
            // The stream ended by itself (stream_seconds): reconnect where it stopped; the
            // message is waiting in the inbox, so this sample includes the reconnect.
            None => {
                stream = open(target, reader, last_id.as_deref()).await;
                if let Some((event_id, _, _)) = stream.next_event(Duration::from_secs(30)).await {
                    latencies.push(started.elapsed());
                    last_id = event_id;
                    n += 1;
                }
            }
        }
    }
    latencies
}

async fn open(target: &Target, token: &str, last: Option<&str>) -> SseStream {
    let mut request = target
        .client
        .get(format!("{}/api/events", target.base))
        .bearer_auth(token);
    if let Some(id) = last {
        request = request.header("last-event-id", id);
    }
    SseStream::new(request.send().await.expect("events"))
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{label:<28} n={:<4} p50={:>8.2?} p99={:>8.2?} max={:>8.2?}",
        samples.len(),
        at(0.50),
        at(0.99),
        at(1.0)
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let client = reqwest::Client::new();
    if let Some(i) = args.iter().position(|a| a == "--url") {
        let base = args
            .get(i + 1)
            .expect("--url needs a value")
            .trim_end_matches('/')
            .to_owned();
        let target = Target {
            base: base.clone(),
            client,
        };
        report(&format!("send->receive {base}"), measure(&target).await);
        return;
    }
    println!(
        "send->receive latency, {MESSAGES} messages, routers in-process (debug builds are slower: use --release)"
    );
    for backend in [Backend::Sqlite, Backend::Redis] {
        let settings = Settings {
            messages_burst: 10_000,
            ..Settings::default()
        };
        let server = TestServer::start_with(backend, settings).await;
        let target = Target {
            base: server.base.clone(),
            client: client.clone(),
        };
        report(&format!("{backend:?} bus"), measure(&target).await);
    }
}
