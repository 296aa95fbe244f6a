//! What is kept and shown: no usable token or password in the database, the Argon2 cost
//! raised at the next login, one's security activity without a secret in it.

use super::*;

both_backends!(the_database_holds_no_usable_token_or_password, |backend| {
    let server = TestServer::start(backend).await;
    let (token, _) = server.signup("olga", PASSWORD).await;
    let db = database_file_text(&server.db_path());
    assert!(!db.contains(&token), "the token is not stored");
    assert!(!db.contains(PASSWORD), "the password is not stored");
    assert!(
        db.contains("$argon2id$v=19$m=19456,t=2,p=1$"),
        "argon2id parameters are in the stored hash"
    );
});

/// The database's bytes (main file and write-ahead log) as lossy text, to search for
/// anything that should never be stored.
fn database_file_text(path: &std::path::Path) -> String {
    // WAL: recent rows may sit in the -wal file, so read the main file and its WAL.
    let mut all = Vec::new();
    for suffix in ["", "-wal"] {
        let file = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        if let Ok(bytes) = std::fs::read(file) {
            all.extend(bytes);
        }
    }
    String::from_utf8_lossy(&all).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raised_argon2_cost_rehashes_at_the_next_login() {
    use chat_core::accounts::{Accounts, LoginAttempt};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("chat.db");
    let before = chat_native::host::build_ports_with(&db, Settings::default())
        .await
        .unwrap();
    Accounts::new(&before)
        .signup(chat_core::accounts::NewAccount {
            username: "pat",
            password: PASSWORD,
            display_name: None,
            client: "127.0.0.1",
            user_agent: "test",
        })
        .await
        .unwrap();

    let mut raised = Settings::default();
    raised.argon2.iterations = 3;
    let after = chat_native::host::build_ports_with(&db, raised)
        .await
        .unwrap();
    let stored = || async {
        let rows = after
            .sql
            .query(
                "SELECT password_hash FROM users WHERE username = 'pat'",
                &[],
            )
            .await
            .unwrap();
        rows[0].get::<String>(0).unwrap()
    };
    assert!(stored().await.contains("m=19456,t=2,p=1"));
    let attempt = LoginAttempt {
        username: "pat",
        password: PASSWORD,
        client: "127.0.0.1",
        user_agent: "test",
        device: None,
    };
    Accounts::new(&after).login(attempt).await.unwrap();
    assert!(
        stored().await.contains("m=19456,t=3,p=1"),
        "rehashed with the raised cost"
    );
    Accounts::new(&after)
        .login(attempt)
        .await
        .expect("the new hash verifies");
}

both_backends!(
    each_user_sees_their_own_security_activity_and_no_secret_in_it,
    |backend| {
        let server = TestServer::start(backend).await;
        let (token, _) = server.signup("alice", PASSWORD).await;
        let (other, _) = server.signup("bob", PASSWORD).await;
        let login = |password: &'static str| {
            server
                .client
                .post(server.url("/api/auth/login"))
                .header("user-agent", "Audit Browser/1.0")
                .json(&json!({"username": "alice", "password": password}))
                .send()
        };
        assert_eq!(
            login("wrong password here").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(login(PASSWORD).await.unwrap().status(), StatusCode::OK);
        let refused = server
            .authed(Method::POST, "/api/auth/password", &token)
            .json(
                &json!({"current_password": "not it at all", "new_password": "a new passphrase 9"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);

        let events = server
            .authed(Method::GET, "/api/auth/security-events", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(events.status(), StatusCode::OK);
        let body = json(events).await;
        let kinds: Vec<&str> = body["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "password_check_failed",
                "signed_in",
                "sign_in_failed",
                "signed_up"
            ],
            "newest first"
        );
        let failed = &body["events"][2];
        assert_eq!(failed["client"], "127.0.0.1");
        assert_eq!(failed["user_agent"], "Audit Browser/1.0");
        assert!(failed["at"].as_str().unwrap().ends_with('Z'));
        let text = body.to_string();
        for secret in [PASSWORD, "wrong password here", "not it at all", &token] {
            assert!(!text.contains(secret), "no secret in the trail");
        }
        // Bob's trail is his own.
        let theirs = server
            .authed(Method::GET, "/api/auth/security-events", &other)
            .send()
            .await
            .unwrap();
        let theirs = json(theirs).await;
        assert_eq!(theirs["events"].as_array().unwrap().len(), 1);
        assert_eq!(theirs["events"][0]["kind"], "signed_up");
        // Without a session, nothing.
        let anonymous = server.get("/api/auth/security-events").await;
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    }
);
