//! Test support for the HTTP integration tests: [`TestServer`] serves every area's router
//! on a free loopback port, over a fresh SQLite file and, for the Redis backend, a
//! redis-server of its own; [`both_backends!`] runs one case on each bus backend.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod sse;

pub use sse::{Next, SseFrame, SseStream};

/// The `event:` names a stream would send for `events`.
pub fn kinds(events: &[Delivered]) -> Vec<&'static str> {
    events.iter().map(|d| event(d).payload.kind()).collect()
}

/// The `data:` JSON a stream would send for `delivered`: what clients get, byte for byte.
pub fn data(delivered: &Delivered) -> serde_json::Value {
    serde_json::from_str(&event(delivered).payload.data_json()).expect("event data is JSON")
}

/// The event an inbox holds, as a stream reads it.
pub fn event(delivered: &Delivered) -> Event {
    Event::from_json(&delivered.json).expect("an inbox holds events")
}

use std::{net::SocketAddr, time::Duration};

use chat_core::{
    Ports,
    ids::UserId,
    ports::{Delivered, EventId},
    settings::Settings,
    vocabulary::Event,
};
use chat_native::{host, testing::RedisServer};
use tokio::sync::oneshot;

/// Which event bus the server runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded mode: SQLite inbox and limiter.
    Sqlite,
    /// Redis Streams and Redis limiter.
    Redis,
}

/// The chat service on a loopback port, stopped when dropped.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// A client that keeps no cookies between tests.
    pub client: reqwest::Client,
    /// The Redis server, in Redis mode (tests may kill it).
    pub redis: Option<RedisServer>,
    /// The server's ports, to read inboxes and tables back.
    pub ports: Ports,
    stop: Option<oneshot::Sender<()>>,
    dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts a server on `backend` with default settings.
    pub async fn start(backend: Backend) -> TestServer {
        TestServer::start_with(backend, Settings::default()).await
    }

    /// Starts a server on `backend`; `settings.redis_url` is filled in for Redis.
    pub async fn start_with(backend: Backend, mut settings: Settings) -> TestServer {
        // Log lines go through the test harness's capture (shown for failing tests only),
        // before the host would install its stderr writer.
        let _ = tracing_subscriber::fmt().with_test_writer().try_init();
        let redis = match backend {
            Backend::Redis => Some(RedisServer::start()),
            Backend::Sqlite => None,
        };
        settings.redis_url = redis.as_ref().map(RedisServer::url);
        let dir = tempfile::tempdir().expect("temporary directory");
        let ports = host::build_ports_with(&dir.path().join("chat.db"), settings)
            .await
            .expect("ports");
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(host::serve(listener, ports.clone(), async {
            let _ = stopped.await;
        }));
        TestServer {
            base: format!("http://{address}"),
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            redis,
            ports,
            stop: Some(stop),
            dir,
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// The SQLite file the server uses (to check what is stored).
    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("chat.db")
    }

    /// POST `body` as JSON to `path`, without credentials.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// A request to `path` with `Authorization: Bearer <token>`.
    pub fn authed(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token)
    }

    /// Opens `GET /api/events` as the holder of `token`, resuming after `last_event_id`.
    pub async fn events(&self, token: &str, last_event_id: Option<&str>) -> SseStream {
        let mut request = self.client.get(self.url("/api/events")).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("events request");
        assert_eq!(response.status(), reqwest::StatusCode::OK, "events stream");
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        SseStream::new(response)
    }

    /// Signs up `username` with `password`; returns the token and the user record.
    pub async fn signup(&self, username: &str, password: &str) -> (String, serde_json::Value) {
        let response = self
            .post_json(
                "/api/auth/signup",
                serde_json::json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(
            response.status(),
            reqwest::StatusCode::CREATED,
            "signup {username}"
        );
        let body = json(response).await;
        let token = body["token"].as_str().expect("token").to_owned();
        (token, body["user"].clone())
    }
}

impl TestServer {
    /// The newest event id in `user_id`'s inbox: read after it to see what comes next.
    pub async fn inbox_mark(&self, user_id: &str) -> EventId {
        self.ports
            .inbox
            .latest(&UserId::from_raw(user_id))
            .await
            .expect("inbox latest")
    }

    /// Events in `user_id`'s inbox after `mark`, oldest first.
    pub async fn events_since(&self, user_id: &str, mark: &EventId) -> Vec<Delivered> {
        self.ports
            .inbox
            .read(&UserId::from_raw(user_id), mark, Duration::ZERO, 1000)
            .await
            .expect("inbox read")
    }

    /// Marks `user_id` as having a live event stream for the next minute, as an open
    /// stream does (the stream itself is exercised by the events tests).
    pub async fn connect(&self, user_id: &str) {
        let expires = self.ports.clock.now_ms() + 60_000;
        self.ports
            .sql
            .execute(
                "INSERT INTO stream_leases (stream_id, user_id, expires_at_ms) VALUES (?1, ?2, ?3)",
                &[
                    format!("test-{user_id}-{expires}").into(),
                    user_id.into(),
                    expires.into(),
                ],
            )
            .await
            .expect("lease");
    }
}

/// A 3x2 red PNG, whole: the smallest real picture an upload test sends.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0x12, 0x16, 0xF1,
    0x4D, 0x00, 0x00, 0x00, 0x10, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0x00,
    0x41, 0x0C, 0x70, 0x16, 0x00, 0x41, 0xD2, 0x05, 0xFB, 0x87, 0xF0, 0xB9, 0x48, 0x00, 0x00, 0x00,
    0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// The password test accounts use.
pub const PASSWORD: &str = "correct horse battery";

/// A signed-up test user.
#[derive(Debug, Clone)]
pub struct Person {
    /// Bearer token.
    pub token: String,
    /// User id.
    pub id: String,
    /// Username.
    pub username: String,
}

/// Signs up `username`.
pub async fn person(server: &TestServer, username: &str) -> Person {
    let (token, user) = server.signup(username, PASSWORD).await;
    Person {
        token,
        id: user["id"].as_str().expect("id").to_owned(),
        username: username.to_owned(),
    }
}

/// Calls `path` as `who`, with an optional JSON body; returns the status and the JSON body
/// (`null` when there is none).
pub async fn call(
    server: &TestServer,
    who: &Person,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> (reqwest::StatusCode, serde_json::Value) {
    let mut request = server.authed(method, path, &who.token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

/// Calls made as one person: `server.by(&ann).post("/api/rooms", json!({..}))`, each
/// answering the status and the JSON body (`null` when there is none), as [`call`] does.
pub struct As<'a> {
    server: &'a TestServer,
    who: &'a Person,
}

impl TestServer {
    /// Calls as `who`.
    pub fn by<'a>(&'a self, who: &'a Person) -> As<'a> {
        As { server: self, who }
    }
}

impl As<'_> {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        call(self.server, self.who, method, path, body).await
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> (reqwest::StatusCode, serde_json::Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// `POST path`, with `body` as JSON when there is one.
    pub async fn post(
        &self,
        path: &str,
        body: impl Into<Option<serde_json::Value>>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        self.send(reqwest::Method::POST, path, body.into()).await
    }

    /// `PUT path`, with `body` as JSON when there is one.
    pub async fn put(
        &self,
        path: &str,
        body: impl Into<Option<serde_json::Value>>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        self.send(reqwest::Method::PUT, path, body.into()).await
    }

    /// `PATCH path` with `body`.
    pub async fn patch(
        &self,
        path: &str,
        body: impl Into<Option<serde_json::Value>>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        self.send(reqwest::Method::PATCH, path, body.into()).await
    }

    /// `DELETE path`, with `body` as JSON when there is one.
    pub async fn delete(
        &self,
        path: &str,
        body: impl Into<Option<serde_json::Value>>,
    ) -> (reqwest::StatusCode, serde_json::Value) {
        self.send(reqwest::Method::DELETE, path, body.into()).await
    }
}

/// Makes `a` and `b` friends through the API.
pub async fn befriend(server: &TestServer, a: &Person, b: &Person) {
    let body = serde_json::json!({ "username": b.username });
    let (status, _) = server.by(a).post("/api/friends/requests", body).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "request");
    let path = format!("/api/friends/requests/{}/accept", a.username);
    let (status, _) = server.by(b).post(&path, None).await;
    assert_eq!(status, reqwest::StatusCode::OK, "accept");
}

/// Creates the public room `name` as `owner` and has `members` join it; returns its id.
pub async fn room(server: &TestServer, owner: &Person, name: &str, members: &[&Person]) -> String {
    let body = serde_json::json!({ "name": name });
    let (status, room) = server.by(owner).post("/api/rooms", body).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "create room {name}");
    for member in members {
        let path = format!("/api/rooms/{name}/join");
        let (status, _) = server.by(member).post(&path, None).await;
        assert_eq!(
            status,
            reqwest::StatusCode::OK,
            "{} joins {name}",
            member.username
        );
    }
    room["id"].as_str().expect("room id").to_owned()
}

/// The `name=value` part of the `Set-Cookie` header for `name`, and the whole header.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<(String, String)> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            let pair = v.split(';').next().unwrap_or_default().to_owned();
            (pair, v.to_owned())
        })
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The JSON body of a response (panics with the text when it is not JSON).
pub async fn json(response: reqwest::Response) -> serde_json::Value {
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Asserts `body` is the API's error shape with `code`.
pub fn assert_error(body: &serde_json::Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

/// Defines `mod $name { sqlite, redis }`: the async body runs once per bus backend, with
/// `$backend` bound to the [`Backend`].
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$backend:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $backend = $crate::Backend::Sqlite;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                let $backend = $crate::Backend::Redis;
                $body
            }
        }
    };
}
