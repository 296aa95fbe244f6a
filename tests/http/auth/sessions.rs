//! Sessions: login, logout, a password change, listing and revoking, idle expiry, and
//! named API tokens.

use super::*;

both_backends!(
    login_returns_a_new_session_usable_by_bearer_and_cookie,
    |backend| {
        let server = TestServer::start(backend).await;
        let (_, user) = server.signup("dave", PASSWORD).await;
        let response = server
            .post_json(
                "/api/auth/login",
                json!({"username": "DAVE", "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let (cookie, _) = set_cookie(&response, "chat_session").expect("cookie");
        let body = json(response).await;
        assert_eq!(body["user"], user);
        let token = body["token"].as_str().unwrap();

        let by_bearer = server
            .authed(Method::GET, "/api/auth/session", token)
            .send()
            .await
            .unwrap();
        assert_eq!(by_bearer.status(), StatusCode::OK);
        assert_eq!(json(by_bearer).await["user"]["username"], "dave");

        let by_cookie = server
            .client
            .get(server.url("/api/auth/session"))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(by_cookie.status(), StatusCode::OK);
    }
);

both_backends!(
    wrong_password_and_unknown_user_fail_identically,
    |backend| {
        let server = TestServer::start(backend).await;
        server.signup("erin", PASSWORD).await;
        let mut bodies = Vec::new();
        for body in [
            json!({"username": "erin", "password": "not the password"}),
            json!({"username": "nobody-here", "password": "not the password"}),
            json!({"username": "x", "password": "y"}),
        ] {
            let response = server.post_json("/api/auth/login", body).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
            assert!(set_cookie(&response, "chat_session").is_none());
            bodies.push(response.text().await.unwrap());
        }
        assert_eq!(bodies[0], bodies[1]);
        assert_eq!(bodies[1], bodies[2]);
        assert_error(
            &serde_json::from_str(&bodies[0]).unwrap(),
            "invalid_credentials",
        );
    }
);

both_backends!(requests_without_a_valid_session_are_401, |backend| {
    let server = TestServer::start(backend).await;
    let no_credentials = server.get("/api/auth/session").await;
    assert_eq!(no_credentials.status(), StatusCode::UNAUTHORIZED);
    assert_error(&json(no_credentials).await, "unauthenticated");
    for token in ["garbage", &"a".repeat(64), ""] {
        let response = server
            .authed(Method::GET, "/api/auth/session", token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token:?}");
    }
    let basic = server
        .client
        .get(server.url("/api/auth/session"))
        .header("authorization", "Basic YTpi")
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
    for (method, path) in [
        (Method::POST, "/api/auth/logout"),
        (Method::GET, "/api/auth/sessions"),
        (Method::DELETE, "/api/auth/sessions/x"),
    ] {
        let response = server
            .client
            .request(method, server.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let password = server
        .post_json(
            "/api/auth/password",
            json!({"current_password": "a", "new_password": "b"}),
        )
        .await;
    assert_eq!(password.status(), StatusCode::UNAUTHORIZED);
});

both_backends!(
    logout_revokes_the_session_and_clears_the_cookie,
    |backend| {
        let server = TestServer::start(backend).await;
        let (token, _) = server.signup("frank", PASSWORD).await;
        let response = server
            .authed(Method::POST, "/api/auth/logout", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let (pair, cookie) = set_cookie(&response, "chat_session").expect("clearing cookie");
        assert_eq!(pair, "chat_session=");
        assert!(cookie.contains("Max-Age=0"), "{cookie}");
        let after = server
            .authed(Method::GET, "/api/auth/session", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    }
);

both_backends!(
    password_change_keeps_this_session_and_revokes_the_others,
    |backend| {
        let server = TestServer::start(backend).await;
        let (first, _) = server.signup("heidi", PASSWORD).await;
        let second = json(
            server
                .post_json(
                    "/api/auth/login",
                    json!({"username": "heidi", "password": PASSWORD}),
                )
                .await,
        )
        .await;
        let second = second["token"].as_str().unwrap().to_owned();

        let change = |current: &str, new: &str| {
            server
                .authed(Method::POST, "/api/auth/password", &first)
                .json(&json!({"current_password": current, "new_password": new}))
                .send()
        };
        let wrong = change("not it at all", "brand new password").await.unwrap();
        assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
        assert_error(&json(wrong).await, "invalid_credentials");
        let weak = change(PASSWORD, "short").await.unwrap();
        assert_eq!(weak.status(), StatusCode::BAD_REQUEST);
        assert_error(&json(weak).await, "invalid_password");
        let unknown_field = server
        .authed(Method::POST, "/api/auth/password", &first)
        .json(&json!({"current_password": PASSWORD, "new_password": "brand new password", "x": 1}))
        .send()
        .await
        .unwrap();
        assert_eq!(unknown_field.status(), StatusCode::BAD_REQUEST);

        let ok = change(PASSWORD, "brand new password").await.unwrap();
        assert_eq!(ok.status(), StatusCode::NO_CONTENT);
        let mine = server
            .authed(Method::GET, "/api/auth/session", &first)
            .send()
            .await
            .unwrap();
        assert_eq!(mine.status(), StatusCode::OK);
        let other = server
            .authed(Method::GET, "/api/auth/session", &second)
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), StatusCode::UNAUTHORIZED);

        let old = server
            .post_json(
                "/api/auth/login",
                json!({"username": "heidi", "password": PASSWORD}),
            )
            .await;
        assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
        let new = server
            .post_json(
                "/api/auth/login",
                json!({"username": "heidi", "password": "brand new password"}),
            )
            .await;
        assert_eq!(new.status(), StatusCode::OK);
    }
);

both_backends!(
    sessions_are_listed_and_revocable_by_their_owner_only,
    |backend| {
        let server = TestServer::start(backend).await;
        let (first, _) = server.signup("ivan", PASSWORD).await;
        let second = server
            .client
            .post(server.url("/api/auth/login"))
            .header("user-agent", "second-device/1.0")
            .json(&json!({"username": "ivan", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let second = json(second).await["token"].as_str().unwrap().to_owned();
        let (mallory, _) = server.signup("mallory", PASSWORD).await;

        let listed = json(
            server
                .authed(Method::GET, "/api/auth/sessions", &first)
                .send()
                .await
                .unwrap(),
        )
        .await;
        let sessions = listed["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 2);
        let current: Vec<bool> = sessions
            .iter()
            .map(|s| s["current"].as_bool().unwrap())
            .collect();
        assert_eq!(current.iter().filter(|c| **c).count(), 1);
        for s in sessions {
            for field in ["id", "created_at", "last_seen_at", "user_agent"] {
                assert!(s[field].is_string(), "{field} in {s}");
            }
            assert!(s.get("token").is_none() && s.get("token_hash").is_none());
        }
        let other = sessions
            .iter()
            .find(|s| !s["current"].as_bool().unwrap())
            .unwrap();
        assert_eq!(other["user_agent"], "second-device/1.0");
        let other_id = other["id"].as_str().unwrap();

        let by_stranger = server
            .authed(
                Method::DELETE,
                &format!("/api/auth/sessions/{other_id}"),
                &mallory,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(by_stranger.status(), StatusCode::NOT_FOUND);
        assert_error(&json(by_stranger).await, "not_found");

        let revoked = server
            .authed(
                Method::DELETE,
                &format!("/api/auth/sessions/{other_id}"),
                &first,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
        let gone = server
            .authed(Method::GET, "/api/auth/session", &second)
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), StatusCode::UNAUTHORIZED);
        let again = server
            .authed(
                Method::DELETE,
                &format!("/api/auth/sessions/{other_id}"),
                &first,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_FOUND);
    }
);

both_backends!(idle_sessions_expire, |backend| {
    let settings = Settings {
        session_idle: Duration::from_millis(600),
        session_max: Duration::from_secs(3600),
        ..Settings::default()
    };
    let server = TestServer::start_with(backend, settings).await;
    let (token, _) = server.signup("nina", PASSWORD).await;
    let fresh = server
        .authed(Method::GET, "/api/auth/session", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let idle = server
        .authed(Method::GET, "/api/auth/session", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(idle.status(), StatusCode::UNAUTHORIZED);
});

both_backends!(
    named_api_tokens_are_minted_with_the_password_listed_and_revoked,
    |backend| {
        let server = TestServer::start(backend).await;
        let (session, _) = server.signup("alice", PASSWORD).await;
        let mint = |body: Value| {
            server
                .authed(Method::POST, "/api/auth/tokens", &session)
                .json(&body)
                .send()
        };
        let refused = mint(json!({"name": "deploy bot", "password": "not the password"}))
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        for (body, code) in [
            (
                json!({"name": "  ", "password": PASSWORD}),
                "invalid_token_name",
            ),
            (
                json!({"name": "bot", "password": PASSWORD, "expires_in_days": 400}),
                "invalid_expiry",
            ),
        ] {
            let response = mint(body).await.unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST);
            assert_error(&json(response).await, code);
        }
        let minted =
            mint(json!({"name": "deploy bot", "password": PASSWORD, "expires_in_days": 30}))
                .await
                .unwrap();
        assert_eq!(minted.status(), StatusCode::CREATED);
        let minted = json(minted).await;
        let token = minted["token"].as_str().unwrap().to_owned();
        assert_eq!(token.len(), 64);
        assert_eq!(minted["api_token"]["name"], "deploy bot");
        let id = minted["api_token"]["id"].as_str().unwrap().to_owned();

        // It works as a Bearer token, like a session.
        let me = server
            .authed(Method::GET, "/api/me", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK);
        assert_eq!(json(me).await["username"], "alice");
        // Listed by name, never the token itself; not among the browser sessions.
        let listed = server
            .authed(Method::GET, "/api/auth/tokens", &session)
            .send()
            .await
            .unwrap();
        let listed = json(listed).await;
        assert_eq!(listed["api_tokens"][0]["id"], id.as_str());
        assert!(!listed.to_string().contains(&token));
        let sessions = server
            .authed(Method::GET, "/api/auth/sessions", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(
            json(sessions).await["sessions"].as_array().unwrap().len(),
            1
        );

        // Someone else cannot revoke it; its owner can, and then it is refused.
        let (bob, _) = server.signup("bob", PASSWORD).await;
        let theirs = server
            .authed(Method::DELETE, &format!("/api/auth/tokens/{id}"), &bob)
            .send()
            .await
            .unwrap();
        assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
        let revoked = server
            .authed(Method::DELETE, &format!("/api/auth/tokens/{id}"), &session)
            .send()
            .await
            .unwrap();
        assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
        let after = server
            .authed(Method::GET, "/api/me", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
        let events = server
            .authed(Method::GET, "/api/auth/security-events", &session)
            .send()
            .await
            .unwrap();
        let events = json(events).await.to_string();
        assert!(events.contains("api_token_created") && events.contains("api_token_revoked"));
    }
);
