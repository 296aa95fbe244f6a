//! A property test of every JSON route of docs/api.md: random and malformed bodies, path
//! parameters, query strings and headers, as a signed-in user and as nobody. Whatever
//! arrives, the server answers (no panic, no dropped connection), never with a 5xx, and
//! every error is the API's shape `{"error": {"code", "message"}}`. The seed is printed;
//! `CHAT_FUZZ_SEED=<n>` replays a run.

use std::time::{SystemTime, UNIX_EPOCH};

use chat_tests::{TestServer, both_backends, call, person, room};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Requests per route (each route of the contract, on both backends).
const CASES_PER_ROUTE: usize = 150;

/// SplitMix64: small, seedable, good enough to pick test inputs.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The field names the routes read, so random objects often reach the validation.
const FIELDS: &[&str] = &[
    "username",
    "password",
    "display_name",
    "status_message",
    "presence",
    "current_password",
    "new_password",
    "body",
    "client_id",
    "typing",
    "seq",
    "name",
    "message",
];

/// Strings that have broken parsers before.
const NASTY: &[&str] = &[
    "",
    " ",
    "a",
    "online",
    "invisible",
    "🙂",
    "\u{0}",
    "\u{202e}evil",
    "'; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "%zz",
    "-1",
    "0",
    "9223372036854775808",
    "1e400",
    "NaN",
    "null",
    "true",
    "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
];

fn random_string(dice: &mut Dice) -> String {
    match dice.below(4) {
        0 => (*dice.pick(NASTY)).to_owned(),
        1 => "x".repeat(dice.pick(&[63, 64, 65, 200, 4001, 70_000]).to_owned()),
        2 => (0..dice.below(40))
            .map(|_| char::from_u32(dice.below(0x3000) as u32).unwrap_or('?'))
            .collect(),
        _ => format!("user{}", dice.below(1000)),
    }
}

fn random_value(dice: &mut Dice, depth: usize) -> Value {
    let kinds = if depth >= 3 { 6 } else { 8 };
    match dice.below(kinds) {
        0 => Value::Null,
        1 => Value::Bool(dice.chance(2)),
        2 => json!(
            dice.pick(&[0i64, 1, -1, 7, i64::MAX, i64::MIN, 1_000_000_007])
                .to_owned()
        ),
        3 => json!(dice.pick(&[0.5f64, -0.0, 1e308, -1e308, 3.25]).to_owned()),
        4 | 5 => Value::String(random_string(dice)),
        6 => Value::Array(
            (0..dice.below(4))
                .map(|_| random_value(dice, depth + 1))
                .collect(),
        ),
        _ => random_object(dice, depth + 1),
    }
}

fn random_object(dice: &mut Dice, depth: usize) -> Value {
    let mut object = serde_json::Map::new();
    for _ in 0..dice.below(5) {
        let key = if dice.chance(5) {
            random_string(dice)
        } else {
            (*dice.pick(FIELDS)).to_owned()
        };
        object.insert(key, random_value(dice, depth));
    }
    Value::Object(object)
}

/// A value the route would accept for `field`, to get past validation into the service.
fn plausible(dice: &mut Dice, field: &str) -> Value {
    match field {
        "username" => json!(dice.pick(&["ann", "bob", "nobody"]).to_owned()),
        "password" | "current_password" => json!(chat_tests::PASSWORD),
        "new_password" => json!("a brand new long password"),
        "presence" => json!(
            dice.pick(&["online", "away", "busy", "invisible"])
                .to_owned()
        ),
        "typing" => json!(dice.chance(2)),
        "seq" => json!(dice.below(4)),
        "client_id" => json!(format!("fuzz-{}", dice.below(50))),
        "name" => json!(format!("room{}", dice.below(50))),
        _ => json!("hello there"),
    }
}

/// A body: often what the route expects (whole, or with one field broken, missing or
/// extra), else random JSON objects, JSON that is not an object, or bytes that are not
/// JSON at all.
fn random_body(dice: &mut Dice, fields: &[String]) -> Vec<u8> {
    if !fields.is_empty() && dice.below(10) < 5 {
        let mut body = serde_json::Map::new();
        for field in fields {
            body.insert(field.clone(), plausible(dice, field));
        }
        match dice.below(4) {
            0 => {}
            1 => {
                let field = dice.pick(fields).clone();
                body.insert(field, random_value(dice, 1));
            }
            2 => {
                body.remove(dice.pick(fields));
            }
            _ => {
                body.insert(random_string(dice), random_value(dice, 1));
            }
        }
        return serde_json::to_vec(&Value::Object(body)).unwrap();
    }
    match dice.below(10) {
        0 => Vec::new(),
        1 => dice
            .pick(&[
                &b"{"[..],
                b"[1, 2",
                b"\xff\xfe\x00{}",
                b"{\"username\": \"a\",}",
                b"{\"a\":1}{\"b\":2}",
                b"nul",
            ])
            .to_vec(),
        2 => {
            let depth = dice.pick(&[200usize, 5_000]).to_owned();
            let mut deep = "[".repeat(depth);
            deep.push_str(&"]".repeat(depth));
            deep.into_bytes()
        }
        3 => serde_json::to_vec(&random_value(dice, 0)).unwrap(),
        4 => vec![b' '; 70_000],
        _ => serde_json::to_vec(&random_object(dice, 0)).unwrap(),
    }
}

/// A random string a header can carry (visible ASCII and spaces, at most 200).
fn random_header_value(dice: &mut Dice) -> String {
    random_string(dice)
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control())
        .take(200)
        .collect()
}

fn random_query(dice: &mut Dice) -> String {
    if dice.chance(3) {
        return String::new();
    }
    let keys = ["limit", "before_seq", "q", "last_event_id", "x"];
    let pairs: Vec<String> = (0..1 + dice.below(3))
        .map(|_| {
            let value: String = random_string(dice)
                .chars()
                .take(300)
                .map(|c| if c == '&' || c == '#' { '_' } else { c })
                .collect();
            format!("{}={}", dice.pick(&keys), value)
        })
        .collect();
    format!("?{}", pairs.join("&"))
}

/// Fills `{...}` parameters: mostly a real value of that name from the scene, else
/// something random.
fn fill_path(dice: &mut Dice, template: &str, real: &[(&str, String)]) -> String {
    let mut path = String::new();
    for segment in template.split('/').skip(1) {
        path.push('/');
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            let known: Vec<&String> = real
                .iter()
                .filter(|(n, _)| *n == name)
                .map(|(_, v)| v)
                .collect();
            let value = if !known.is_empty() && dice.below(10) < 7 {
                (*dice.pick(&known)).clone()
            } else {
                random_string(dice)
            };
            // Percent-encode what a URL path cannot carry, so the request reaches us.
            for byte in value.bytes().take(3000) {
                if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
                    path.push(char::from(byte));
                } else {
                    path.push_str(&format!("%{byte:02X}"));
                }
            }
        } else {
            path.push_str(segment);
        }
    }
    path
}

/// One route: method, path template, and the body fields the contract names.
type Route = (Method, String, Vec<String>);

/// Every route of docs/api.md's tables (with the fields of their body column, e.g.
/// `{username, password, display_name?}`), plus the three the tables leave to prose.
fn routes() -> Vec<Route> {
    let api = include_str!("../../docs/api.md");
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
        let (_, sent) = call(
            &server,
            &ann,
            Method::POST,
            &format!("/api/conversations/{room_id}/messages"),
            Some(json!({"body": "hello", "client_id": "fuzz-1"})),
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
