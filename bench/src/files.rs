//! Files and search on a running server (`spin up`, by bench/files.sh): the throughput of
//! uploading and downloading a 10 MiB file, and the latency of message search over a room
//! of 100,000 messages, written into the server's SQLite file beforehand (every trigger
//! fires as for a send, the search index's included). Figures only: nothing is asserted
//! about a time.
//!
//! `files --url http://127.0.0.1:3077 --db <the server's sqlite_db.db> [--messages 100000]`

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The file size measured: the default `attachment_max_bytes`.
const FILE_BYTES: usize = 10 * 1024 * 1024;
const TRANSFERS: usize = 5;
/// Searchers: each user's search bucket takes a burst of 30, so the samples are spread.
const SEARCHERS: usize = 8;
const SAMPLES_PER_SEARCHER: usize = 5;

struct Target {
    base: String,
    client: reqwest::Client,
}

impl Target {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let value: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {value}");
        value
    }
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// `MiB/s` of `bytes` moved in each of `times`: (median, slowest).
fn throughput(bytes: usize, times: &[Duration]) -> (f64, f64) {
    let mut rates: Vec<f64> = times
        .iter()
        .map(|t| bytes as f64 / (1024.0 * 1024.0) / t.as_secs_f64())
        .collect();
    rates.sort_by(f64::total_cmp);
    (rates[rates.len() / 2], rates[0])
}

/// p50 and p99 in milliseconds.
fn percentiles(mut times: Vec<Duration>) -> (f64, f64) {
    times.sort();
    let at =
        |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0;
    (at(0.5), at(0.99))
}

/// A deterministic word stream: a few words very common, most rare (a Zipf-like spread),
/// so queries for common and rare words both mean something.
struct Words {
    state: u64,
}

const VOCABULARY: &[&str] = &[
    "the",
    "meeting",
    "lunch",
    "project",
    "deploy",
    "coffee",
    "tomorrow",
    "review",
    "release",
    "bug",
    "weekend",
    "music",
    "train",
    "holiday",
    "budget",
    "design",
    "garden",
    "recipe",
    "football",
    "concert",
    "server",
    "database",
    "kitten",
    "mountain",
    "bicycle",
    "library",
    "umbrella",
    "festival",
    "telescope",
    "marathon",
    "saxophone",
    "volcano",
    "kumquat",
];

impl Words {
    fn next(&mut self) -> &'static str {
        // xorshift: fast and the same on every run.
        self.state ^= self.state << 13;
        self.state ^= self.state >> 7;
        self.state ^= self.state << 17;
        let uniform = (self.state % 1_000_000) as f64 / 1_000_000.0;
        let index = ((VOCABULARY.len() as f64).powf(uniform) - 1.0) as usize;
        VOCABULARY[index.min(VOCABULARY.len() - 1)]
    }
}

/// Writes `count` messages from `sender` into `room` straight into the server's SQLite
/// file, in one transaction; marked as announced, so the outbox leaves them be.
fn seed(
    db: &str,
    room: &str,
    sender: &str,
    count: usize,
) -> (Duration, std::collections::HashMap<&'static str, usize>) {
    let mut holding: std::collections::HashMap<&'static str, usize> = Default::default();
    let started = Instant::now();
    let mut connection = rusqlite::Connection::open(db).expect("open the server's database");
    connection.busy_timeout(Duration::from_secs(30)).unwrap();
    let tx = connection.transaction().unwrap();
    let first: i64 = tx
        .query_row(
            "SELECT last_seq FROM conversations WHERE id = ?1",
            [room],
            |r| r.get(0),
        )
        .unwrap();
    let mut words = Words {
        state: 0x9E37_79B9_7F4A_7C15,
    };
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO messages (id, conversation_id, seq, sender_id, body, client_id,
                                       created_at_ms, announced)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)",
            )
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        for n in 0..count {
            let seq = first + 1 + n as i64;
            let length = 6 + (n % 10);
            let body: Vec<&str> = (0..length).map(|_| words.next()).collect();
            let mut distinct = body.clone();
            distinct.sort_unstable();
            distinct.dedup();
            for word in distinct {
                *holding.entry(word).or_default() += 1;
            }
            insert
                .execute(rusqlite::params![
                    format!("seed-{seq}"),
                    room,
                    seq,
                    sender,
                    body.join(" "),
                    format!("seed-{seq}"),
                    now - (count - n) as i64 * 1000,
                ])
                .unwrap();
        }
    }
    tx.commit().unwrap();
    (started.elapsed(), holding)
}

#[tokio::main]
async fn main() {
    let base = arg("--url").unwrap_or_else(|| "http://127.0.0.1:3077".into());
    let db = arg("--db").expect("--db <the server's SQLite file>");
    let messages: usize = arg("--messages").map_or(100_000, |m| m.parse().unwrap());
    let target = Target {
        base,
        client: reqwest::Client::new(),
    };
    let tag = std::process::id();
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for n in 0..=SEARCHERS {
        let body = json!({"username": format!("files{tag}u{n}"), "password": "benchmark password"});
        let signed = target
            .call(reqwest::Method::POST, "/api/auth/signup", None, Some(body))
            .await;
        tokens.push(signed["token"].as_str().unwrap().to_owned());
        ids.push(signed["user"]["id"].as_str().unwrap().to_owned());
    }
    let owner = tokens[0].clone();
    let name = format!("files{tag}");
    let room = target
        .call(
            reqwest::Method::POST,
            "/api/rooms",
            Some(&owner),
            Some(json!({"name": name})),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for token in &tokens[1..] {
        target
            .call(
                reqwest::Method::POST,
                &format!("/api/rooms/{name}/join"),
                Some(token),
                None,
            )
            .await;
    }

    // Uploads and downloads of a 10 MiB file.
    let file: Vec<u8> = (0..FILE_BYTES)
        .map(|i| ((i * 31 + i / 4093) % 256) as u8)
        .collect();
    let mut uploads = Vec::new();
    let mut last = Value::Null;
    for n in 0..TRANSFERS {
        let started = Instant::now();
        let response = target
            .client
            .post(format!(
                "{}/api/conversations/{room}/attachments?name=big{n}.bin",
                target.base
            ))
            .bearer_auth(&owner)
            .header("content-type", "application/octet-stream")
            .body(file.clone())
            .send()
            .await
            .unwrap();
        let status = response.status();
        last = response.json().await.unwrap();
        uploads.push(started.elapsed());
        assert!(status.is_success(), "upload: {status} {last}");
    }
    target
        .call(
            reqwest::Method::POST,
            &format!("/api/conversations/{room}/messages"),
            Some(&owner),
            Some(json!({"body": "", "client_id": "big", "attachments": [last["id"]]})),
        )
        .await;
    let url = format!("{}{}", target.base, last["url"].as_str().unwrap());
    let mut downloads = Vec::new();
    for _ in 0..TRANSFERS {
        let started = Instant::now();
        let bytes = target
            .client
            .get(&url)
            .bearer_auth(&tokens[1])
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        downloads.push(started.elapsed());
        assert_eq!(bytes.len(), FILE_BYTES);
    }
    let (up, up_slowest) = throughput(FILE_BYTES, &uploads);
    let (down, down_slowest) = throughput(FILE_BYTES, &downloads);

    // Search over the room's history.
    let (seeded, holding) = seed(&db, &room, &ids[0], messages);
    let share = |word: &str| holding.get(word).copied().unwrap_or(0);
    let queries = [
        (
            format!(
                "a common word (`meeting`: {} messages hold it)",
                share("meeting")
            ),
            "q=meeting".to_owned(),
        ),
        (
            format!("a rarer word (`saxophone`: {})", share("saxophone")),
            "q=saxophone".to_owned(),
        ),
        (
            "two words (`lunch tomorrow`)".to_owned(),
            "q=lunch%20tomorrow".to_owned(),
        ),
        (
            format!(
                "a prefix as typed (`volc`: {} hold `volcano`)",
                share("volcano")
            ),
            "q=volc".to_owned(),
        ),
        ("no match (`zeppelin`)".to_owned(), "q=zeppelin".to_owned()),
        (
            format!(
                "a common word from one sender (`coffee`: {}, `from=`)",
                share("coffee")
            ),
            format!("q=coffee&from=files{tag}u0"),
        ),
    ];
    let mut rows = Vec::new();
    for (label, query) in &queries {
        let mut times = Vec::new();
        let mut found = 0;
        for token in &tokens[1..] {
            for _ in 0..SAMPLES_PER_SEARCHER {
                let started = Instant::now();
                let answer = target
                    .call(
                        reqwest::Method::GET,
                        &format!("/api/search?{query}&limit=20"),
                        Some(token),
                        None,
                    )
                    .await;
                times.push(started.elapsed());
                found = answer["results"].as_array().map_or(0, Vec::len);
            }
        }
        let (p50, p99) = percentiles(times);
        rows.push(format!("| {label} | {found} | {p50:.1} | {p99:.1} |"));
    }

    println!("| 10 MiB file | median | slowest of {TRANSFERS} |");
    println!("|---|---|---|");
    println!(
        "| upload (one request, streamed in 256 KiB parts) | {up:.1} MiB/s | {up_slowest:.1} MiB/s |"
    );
    println!("| download (whole file) | {down:.1} MiB/s | {down_slowest:.1} MiB/s |");
    println!();
    println!(
        "Search over one room of {messages} messages (written in {:.1} s, the index kept by its triggers), {} requests per query, first page of 20, newest first:",
        seeded.as_secs_f64(),
        SEARCHERS * SAMPLES_PER_SEARCHER
    );
    println!();
    println!("| query | results on the page | p50 ms | p99 ms |");
    println!("|---|---|---|---|");
    for row in rows {
        println!("{row}");
    }
}
