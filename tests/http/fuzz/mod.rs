//! A property test of every JSON route of docs/api.md: random and malformed bodies, path
//! parameters, query strings and headers, as a signed-in user and as nobody. Whatever
//! arrives, the server answers (no panic, no dropped connection), never with a 5xx, and
//! every error is the API's shape `{"error": {"code", "message"}}`. The seed is printed;
//! `CHAT_FUZZ_SEED=<n>` replays a run.

mod inputs;

use inputs::*;

use std::time::{SystemTime, UNIX_EPOCH};

use chat_tests::{TestServer, both_backends, person, room};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Requests per route (each route of the contract, on both backends).
const CASES_PER_ROUTE: usize = 150;

/// Every route of docs/api.md's tables (with the fields of their body column, e.g.
/// `{username, password, display_name?}`), plus the three the tables leave to prose.
fn routes() -> Vec<Route> {
    let api = include_str!("../../../docs/api.md");
    let mut routes: Vec<Route> = api
        .lines()
        .filter_map(|line| {
            let mut cells = line.strip_prefix("| ")?.split(" | ");
            let (method, path) = cells.next()?.split_once(' ')?;
            let method = Method::from_bytes(method.as_bytes()).ok()?;
            let path = path.split('?').next()?.to_owned();
            let fields = cells
                .next()
                .and_then(|body| body.trim_matches('`').strip_prefix('{'))
                .map(|body| {
                    body.split([',', '}', ':'])
                        .map(|f| f.trim().trim_end_matches('?').to_owned())
                        .filter(|f| {
                            !f.is_empty() && f.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        })
                        .collect()
                })
                .unwrap_or_default();
            path.starts_with("/api/").then_some((method, path, fields))
        })
        .collect();
    routes.push((Method::GET, "/api/events".into(), Vec::new()));
    routes.push((
        Method::POST,
        "/api/publish/{username}".into(),
        vec!["note".into()],
    ));
    routes.push((Method::GET, "/api/health".into(), Vec::new()));
    routes.sort_by_key(|(method, path, _)| {
        // The routes that undo the scene (leaving the room, blocking, ending sessions) go
        // last, so the rest run signed in, as members.
        let undoes_scene = path == "/api/auth/logout"
            || path == "/api/auth/password"
            || path.ends_with("/leave")
            || (method == Method::PUT && path.starts_with("/api/blocks"))
            || (method == Method::DELETE && path.starts_with("/api/auth/sessions"));
        (undoes_scene, path.clone(), method.to_string())
    });
    routes.dedup();
    routes
}

/// Checks one answer: no 5xx, errors in the API's shape.
fn check(method: &Method, path: &str, status: StatusCode, content_type: &str, body: &[u8]) {
    let what = format!("{method} {path} -> {status}");
    assert!(
        !status.is_server_error(),
        "{what}: {}",
        String::from_utf8_lossy(body)
    );
    if status.is_client_error() {
        assert!(
            content_type.starts_with("application/json"),
            "{what}: error content type {content_type:?}"
        );
        let error: Value = serde_json::from_slice(body)
            .unwrap_or_else(|e| panic!("{what}: error body is not JSON ({e})"));
        let code = error["error"]["code"].as_str().unwrap_or("");
        assert!(
            !code.is_empty() && error["error"]["message"].is_string(),
            "{what}: not the error shape: {error}"
        );
    } else if !body.is_empty() && content_type.starts_with("application/json") {
        serde_json::from_slice::<Value>(body)
            .unwrap_or_else(|e| panic!("{what}: success body is not JSON ({e})"));
    }
}

both_backends!(
    every_json_route_survives_random_and_malformed_input,
    |backend| {
        let settings = chat_core::settings::Settings {
            publish_key: Some("fuzz-publish-key-0123456789abcdefghijklmnopqrstuvwxyz".into()),
            password_hashes_per_second: 100_000,
            signups_per_ip_per_hour: 100_000,
            ..chat_core::settings::Settings::default()
        };
        let server = TestServer::start_with(backend, settings).await;
        let seed = std::env::var("CHAT_FUZZ_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        println!("fuzz seed {seed} (CHAT_FUZZ_SEED={seed} replays it)");
        let mut dice = Dice(seed);

        // A scene with real ids, so random requests also reach the deeper checks.
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let room_id = room(&server, &ann, "fuzzroom", &[&bob]).await;
        let (_, sent) = server
            .by(&ann)
            .post(
                &format!("/api/conversations/{room_id}/messages"),
                json!({"body": "hello", "client_id": "fuzz-1"}),
            )
            .await;
        let message_id = sent["id"].as_str().unwrap_or_default().to_owned();
        let sessions = server
            .authed(Method::GET, "/api/auth/sessions", &bob.token)
            .send()
            .await
            .unwrap();
        let session_id = chat_tests::json(sessions).await["sessions"][0]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let real = vec![
            ("id", room_id.clone()),
            ("id", session_id),
            ("message_id", message_id),
            ("username", "bob".to_owned()),
            ("username", "ann".to_owned()),
            ("name_or_id", "fuzzroom".to_owned()),
            ("name_or_id", room_id),
        ];

        // A fresh connection per request: a server that answers an oversized or refused body
        // early closes that connection, and a pooled client would blame the next request.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        for (method, template, fields) in routes() {
            let mut seen = std::collections::BTreeMap::<u16, usize>::new();
            for _ in 0..CASES_PER_ROUTE {
                let path = fill_path(&mut dice, &template, &real);
                let url = format!("{}{}", server.url(&path), random_query(&mut dice));
                let mut request = client.request(method.clone(), &url);
                match dice.below(10) {
                    0 => {}
                    1 => request = request.header("authorization", random_header_value(&mut dice)),
                    2 => {
                        let cookie = format!("chat_session={}", random_header_value(&mut dice));
                        request = request.header("cookie", cookie);
                    }
                    3 => {
                        // The publish key, right or wrong.
                        let key = if dice.chance(2) {
                            "fuzz-publish-key-0123456789abcdefghijklmnopqrstuvwxyz".to_owned()
                        } else {
                            random_header_value(&mut dice)
                        };
                        request = request.bearer_auth(key);
                    }
                    4 => request = request.bearer_auth(&ann.token),
                    _ => request = request.bearer_auth(&bob.token),
                }
                if dice.chance(3) {
                    let header = *dice.pick(&[
                        "origin",
                        "last-event-id",
                        "x-forwarded-for",
                        "x-forwarded-proto",
                        "content-length-ish",
                    ]);
                    request = request.header(header, random_header_value(&mut dice));
                }
                if method != Method::GET {
                    let content_type = *dice.pick(&[
                        "application/json",
                        "application/json",
                        "application/json",
                        "application/json",
                        "application/json; charset=utf-8",
                        "text/plain",
                        "application/x-www-form-urlencoded",
                        "",
                    ]);
                    if !content_type.is_empty() {
                        request = request.header("content-type", content_type);
                    }
                    request = request.body(random_body(&mut dice, &fields));
                }
                let response = request
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{method} {path}: no answer ({e:?}); seed {seed}"));
                let status = response.status();
                *seen.entry(status.as_u16()).or_default() += 1;
                let content_type = response
                    .headers()
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                if content_type.starts_with("text/event-stream") {
                    // A stream that opened: its first frames are the stream's business.
                    assert_eq!(status, StatusCode::OK, "{method} {path}; seed {seed}");
                    continue;
                }
                let body = response.bytes().await.unwrap_or_default();
                check(
                    &method,
                    &format!("{path} (seed {seed})"),
                    status,
                    &content_type,
                    &body,
                );
            }
            println!("{method} {template}: {seen:?}");
        }

        let health = server.get("/api/health").await;
        assert_eq!(health.status(), StatusCode::OK, "still healthy afterwards");
    }
);
