//! A session revoked or a password changed ends that session's streams at once.

use super::*;

/// A second session of `who`: its token.
async fn another_session(server: &TestServer, who: &chat_tests::Person) -> String {
    let login = server
        .post_json(
            "/api/auth/login",
            json!({"username": who.username, "password": chat_tests::PASSWORD}),
        )
        .await;
    json(login).await["token"].as_str().unwrap().to_owned()
}

/// Reads `stream` until a `session_ended` event and returns its session id.
async fn session_ended(stream: &mut chat_tests::SseStream) -> String {
    loop {
        let (_, kind, data) = stream.next_event(WAIT).await.expect("session_ended");
        if kind == "session_ended" {
            return data["session_id"].as_str().unwrap().to_owned();
        }
    }
}

both_backends!(
    a_revoked_session_or_a_password_change_ends_that_sessions_streams_at_once,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let other = another_session(&server, &ann).await;
        let third = another_session(&server, &ann).await;
        let mut revoked_tab = server.events(&ann.token, None).await;
        let mut kept_tab = server.events(&other, None).await;
        let mut third_tab = server.events(&third, None).await;
        let as_other = chat_tests::Person {
            token: other.clone(),
            ..ann.clone()
        };
        let (_, listed) = server.by(&as_other).get("/api/auth/sessions").await;
        let sessions = listed["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 3);

        // Revoking the first session from the second.
        let (_, mine) = server.by(&ann).get("/api/auth/sessions").await;
        let revoked = mine["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == true)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let started = Instant::now();
        let (status, _) = server
            .by(&as_other)
            .delete(&format!("/api/auth/sessions/{revoked}"), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(session_ended(&mut revoked_tab).await, revoked);
        loop {
            match revoked_tab.next(WAIT).await {
                Next::Ended => break,
                Next::Frame(_) => {}
                Next::TimedOut => panic!("the revoked session's stream stays open"),
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "well before the stream's own end (stream_seconds: 25)"
        );
        let again = server
            .client
            .get(server.url("/api/events"))
            .bearer_auth(&ann.token)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
        // The other sessions' streams hear of it and go on.
        assert_eq!(session_ended(&mut kept_tab).await, revoked);

        // A password change ends every other session, and their streams.
        let (status, _) = server
            .by(&as_other)
            .post(
                "/api/auth/password",
                json!({
                    "current_password": chat_tests::PASSWORD,
                    "new_password": "a whole new passphrase 42",
                }),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        session_ended(&mut third_tab).await;
        loop {
            match third_tab.next(WAIT).await {
                Next::Ended => break,
                Next::Frame(_) => {}
                Next::TimedOut => panic!("the ended session's stream stays open"),
            }
        }
        // The session that changed the password keeps its stream.
        let next = kept_tab.next(Duration::from_millis(500)).await;
        assert!(matches!(next, Next::TimedOut | Next::Frame(_)), "{next:?}");
    }
);
