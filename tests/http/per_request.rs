//! Requests served as Spin serves them: a fresh `AppState` (so no memory of the schema)
//! for every request, over a real SQLite file whose statements are recorded. An
//! authenticated request learns the schema version from its session lookup instead of a
//! statement of its own (on a libSQL server each statement is an HTTP round trip), and a
//! database that is behind, or empty, is still migrated before anything else runs.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use chat_core::{
    Ports, Result,
    ports::{OsRandom, Row, Sql, SqlTransaction, Value},
    settings::Settings,
};
use chat_http::{AppState, ClientIp};
use chat_native::{sqlite::NativeSql, tokio_clock};
use http::{Request, StatusCode};
use tower::ServiceExt;

/// The `Sql` port over a real file, writing down every statement sent outside a
/// transaction (what a request asks first happens there).
struct Recording {
    inner: NativeSql,
    sent: Mutex<Vec<String>>,
}

impl Recording {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.sent.lock().unwrap())
    }
}

#[async_trait::async_trait]
impl Sql for Recording {
    async fn execute(&self, sql: &str, params: &[Value]) -> Result<()> {
        self.sent.lock().unwrap().push(sql.to_owned());
        self.inner.execute(sql, params).await
    }

    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        self.sent.lock().unwrap().push(sql.to_owned());
        self.inner.query(sql, params).await
    }

    async fn begin(&self) -> Result<Box<dyn SqlTransaction>> {
        self.inner.begin().await
    }
}

struct SpinLike {
    sql: Arc<Recording>,
    ports: Ports,
    _dir: tempfile::TempDir,
}

/// Ports over a new, empty database file: nothing migrated yet.
fn spin_like() -> SpinLike {
    let dir = tempfile::tempdir().unwrap();
    let sql = Arc::new(Recording {
        inner: NativeSql::open(&dir.path().join("chat.db")).unwrap(),
        sent: Mutex::new(Vec::new()),
    });
    let ports = Ports::assemble(
        sql.clone(),
        None,
        Arc::new(tokio_clock()),
        Arc::new(OsRandom),
        Arc::new(Settings::default()),
    );
    SpinLike {
        sql,
        ports,
        _dir: dir,
    }
}

impl SpinLike {
    /// One request through a router built for it alone, as each Spin request is.
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("accept", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(json) => {
                request = request.header("content-type", "application/json");
                Body::from(json.to_string())
            }
            None => Body::empty(),
        };
        let mut request = request.body(body).unwrap();
        request
            .extensions_mut()
            .insert(ClientIp("127.0.0.1".parse().unwrap()));
        let router = chat_http::app(AppState::new(self.ports.clone()));
        let response = router.oneshot(request).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (status, json)
    }

    async fn signup(&self, username: &str) -> String {
        let (status, body) = self
            .call(
                "POST",
                "/api/auth/signup",
                None,
                Some(serde_json::json!({ "username": username, "password": "long enough 1" })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }
}

fn asks_version_alone(statements: &[String]) -> bool {
    statements.iter().any(|s| s.trim() == "PRAGMA user_version")
}

#[tokio::test]
async fn an_authenticated_request_learns_the_schema_from_its_session_lookup() {
    let spin = spin_like();
    let token = spin.signup("ann").await;
    spin.sql.take();

    let (status, me) = spin.call("GET", "/api/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["username"], "ann");
    let sent = spin.sql.take();
    assert!(
        !asks_version_alone(&sent),
        "no separate version read: {sent:#?}"
    );
    // Every session lookup is this one statement, so a second one (the handler asking
    // again) would show here too.
    let lookups = sent
        .iter()
        .filter(|s| s.contains("pragma_user_version") && s.contains("FROM"))
        .count();
    assert_eq!(
        lookups, 1,
        "one statement reads the version and the session, and the handler does not look the session up again: {sent:#?}"
    );

    // A token that names no session is 401 on the same one statement.
    let (status, _) = spin
        .call("GET", "/api/me", Some(&"a".repeat(64)), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!asks_version_alone(&spin.sql.take()));
}

#[tokio::test]
async fn a_request_without_a_session_token_still_checks_the_schema_first() {
    let spin = spin_like();
    spin.signup("bob").await;
    spin.sql.take();
    let (status, _) = spin
        .call(
            "POST",
            "/api/auth/login",
            None,
            Some(serde_json::json!({ "username": "bob", "password": "long enough 1" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let sent = spin.sql.take();
    assert!(
        sent.first()
            .is_some_and(|s| s.trim() == "PRAGMA user_version"),
        "{sent:#?}"
    );
}

#[tokio::test]
async fn a_database_behind_is_migrated_before_an_authenticated_request() {
    let spin = spin_like();
    let token = spin.signup("cat").await;
    // The version the lookup reads says the schema is behind (as after a deploy that
    // brings a migration): the migrations' own check runs before the handler.
    spin.sql
        .inner
        .execute("PRAGMA user_version = 1", &[])
        .await
        .unwrap();
    spin.sql.take();
    let (status, me) = spin.call("GET", "/api/me", Some(&token), None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let sent = spin.sql.take();
    assert!(
        asks_version_alone(&sent),
        "the migrations checked: {sent:#?}"
    );
    assert!(
        sent.iter().any(|s| s.contains("schema_migrations")),
        "and looked for what to apply: {sent:#?}"
    );
}

#[tokio::test]
async fn an_empty_database_is_migrated_by_a_request_with_a_token() {
    let spin = spin_like();
    let (status, body) = spin
        .call("GET", "/api/me", Some(&"b".repeat(64)), None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let users = spin
        .sql
        .inner
        .query("SELECT count(*) FROM users", &[])
        .await
        .unwrap();
    assert_eq!(users[0].get::<i64>(0).unwrap(), 0, "the schema is there");
}
