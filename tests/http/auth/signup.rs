//! Signing up: the user and its first session, field checks, usernames unique whatever
//! their case, and passwords a guesser tries first refused with the reason.

use super::*;

both_backends!(signup_creates_the_user_and_a_session, |backend| {
    let server = TestServer::start(backend).await;
    let response = server
        .post_json(
            "/api/auth/signup",
            json!({"username": "Alice", "password": PASSWORD, "display_name": "  Alice L.  "}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let (pair, cookie) = set_cookie(&response, "chat_session").expect("session cookie");
    let body = json(response).await;
    let user = &body["user"];
    assert_eq!(user["username"], "alice", "stored lower-case");
    assert_eq!(user["display_name"], "Alice L.", "trimmed");
    assert_eq!(user["status_message"], "");
    assert_eq!(user["presence"], "online");
    assert_eq!(user["id"].as_str().unwrap().len(), 36);
    assert_eq!(user["id"].as_str().unwrap().as_bytes()[14], b'7', "UUIDv7");
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
    let token = body["token"].as_str().unwrap();
    assert_eq!(token.len(), 64);
    assert_eq!(pair, format!("chat_session={token}"));
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=2592000"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: no Secure");

    let display_defaults = server
        .post_json(
            "/api/auth/signup",
            json!({"username": "bob", "password": PASSWORD}),
        )
        .await;
    assert_eq!(json(display_defaults).await["user"]["display_name"], "bob");
});

both_backends!(
    signup_rejects_invalid_fields_and_changes_nothing,
    |backend| {
        let server = TestServer::start(backend).await;
        let cases = [
            (
                json!({"username": "ab", "password": PASSWORD}),
                "invalid_username",
            ),
            (
                json!({"username": "a".repeat(33), "password": PASSWORD}),
                "invalid_username",
            ),
            (
                json!({"username": "with space", "password": PASSWORD}),
                "invalid_username",
            ),
            (
                json!({"username": "alice", "password": "short"}),
                "invalid_password",
            ),
            (
                json!({"username": "alice", "password": "x".repeat(257)}),
                "invalid_password",
            ),
            (
                json!({"username": "alicealice", "password": "ALICEALICE"}),
                "invalid_password",
            ),
            // The first passwords a guesser tries.
            (
                json!({"username": "alice", "password": "Password1"}),
                "invalid_password",
            ),
            (
                json!({"username": "alice", "password": "alice2024"}),
                "invalid_password",
            ),
            (
                json!({"username": "alice", "password": PASSWORD, "display_name": "a\u{1}b"}),
                "invalid_display_name",
            ),
            (
                json!({"username": "alice", "password": PASSWORD, "display_name": "   "}),
                "invalid_display_name",
            ),
            (
                json!({"username": "alice", "password": PASSWORD, "admin": true}),
                "invalid_json",
            ),
            (json!({"username": "alice"}), "invalid_json"),
        ];
        for (body, code) in cases {
            let response = server.post_json("/api/auth/signup", body.clone()).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
            assert_error(&json(response).await, code);
        }
        let not_json = server
            .client
            .post(server.url("/api/auth/signup"))
            .header("content-type", "text/plain")
            .body(r#"{"username":"alice","password":"correct horse"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        // Nothing was created: the name is still free.
        server.signup("alice", PASSWORD).await;
    }
);

both_backends!(usernames_are_unique_case_insensitively, |backend| {
    let server = TestServer::start(backend).await;
    server.signup("carol", PASSWORD).await;
    for name in ["carol", "CAROL", "Carol"] {
        let response = server
            .post_json(
                "/api/auth/signup",
                json!({"username": name, "password": PASSWORD}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CONFLICT, "{name}");
        assert_error(&json(response).await, "username_taken");
    }
});

both_backends!(common_passwords_are_refused_with_the_reason, |backend| {
    let server = TestServer::start(backend).await;
    let response = server
        .post_json(
            "/api/auth/signup",
            json!({"username": "alice", "password": "iloveyou1"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body = json(response).await;
    assert_error(&body, "invalid_password");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("most common"), "{message}");

    let (token, _) = server.signup("alice", PASSWORD).await;
    let response = server
        .authed(Method::POST, "/api/auth/password", &token)
        .json(&json!({"current_password": PASSWORD, "new_password": "1234567890"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_error(&json(response).await, "invalid_password");
});
