//! The auth component over HTTP: every route, every error code, cookies, CSRF, throttling,
//! revocation and expiry, on both bus backends.

use std::time::Duration;

use chat_core::settings::Settings;
use chat_tests::{PASSWORD, TestServer, assert_error, both_backends, json, set_cookie};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

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
    a_browser_page_gets_the_cookie_and_never_the_token,
    |backend| {
        let server = TestServer::start(backend).await;
        // What a page's fetch carries whatever its scripts do: Sec-Fetch-Site (same-origin
        // from the page, none when typed into the address bar).
        for (username, header, value) in [
            ("alice", "sec-fetch-site", "same-origin"),
            ("bert", "sec-fetch-site", "none"),
        ] {
            let signup = server
                .client
                .post(server.url("/api/auth/signup"))
                .header(header, value)
                .json(&json!({"username": username, "password": PASSWORD}))
                .send()
                .await
                .unwrap();
            assert_eq!(signup.status(), StatusCode::CREATED);
            let (pair, _) = set_cookie(&signup, "chat_session").expect("the session cookie");
            let body = json(signup).await;
            assert_eq!(body["user"]["username"], username);
            assert!(body.get("token").is_none(), "{header}: {body}");

            let login = server
                .client
                .post(server.url("/api/auth/login"))
                .header(header, value)
                .json(&json!({"username": username, "password": PASSWORD}))
                .send()
                .await
                .unwrap();
            assert_eq!(login.status(), StatusCode::OK);
            assert!(json(login).await.get("token").is_none());

            // The cookie alone is the session.
            let me = server
                .client
                .get(server.url("/api/auth/session"))
                .header("cookie", pair)
                .send()
                .await
                .unwrap();
            assert_eq!(me.status(), StatusCode::OK);
        }
        // An API client still gets its bearer token, even one that sends an Origin.
        let api = server
            .client
            .post(server.url("/api/auth/login"))
            .header("origin", server.base.as_str())
            .json(&json!({"username": "alice", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(json(api).await["token"].as_str().map(str::len), Some(64));
    }
);

both_backends!(over_https_a_plain_session_cookie_is_not_read, |backend| {
    let server = TestServer::start(backend).await;
    let signup = server
        .post_json(
            "/api/auth/signup",
            json!({"username": "alice", "password": PASSWORD}),
        )
        .await;
    let token = json(signup).await["token"].as_str().unwrap().to_owned();
    let ask = |cookie: String| {
        server
            .client
            .get(server.url("/api/auth/session"))
            .header("x-forwarded-proto", "https")
            .header("cookie", cookie)
            .send()
    };
    let planted = ask(format!("chat_session={token}")).await.unwrap();
    assert_eq!(
        planted.status(),
        StatusCode::UNAUTHORIZED,
        "a sibling subdomain could have set the unprefixed name"
    );
    let prefixed = ask(format!("__Host-chat_session={token}")).await.unwrap();
    assert_eq!(prefixed.status(), StatusCode::OK);
});

both_backends!(
    cookies_are_secure_when_the_request_came_over_https,
    |backend| {
        let server = TestServer::start(backend).await;
        let response = server
            .client
            .post(server.url("/api/auth/signup"))
            .header("x-forwarded-proto", "https")
            .json(&json!({"username": "alice", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000; includeSubDomains",
            "and the browser is told to stay on https"
        );
        let (pair, cookie) = set_cookie(&response, "__Host-chat_session").expect("cookie");
        assert!(
            cookie.contains("; Secure") && cookie.contains("Path=/"),
            "{cookie}"
        );
        assert!(!cookie.contains("Domain"), "{cookie}");
        let token = pair.trim_start_matches("__Host-chat_session=").to_owned();
        let me = server
            .client
            .get(server.url("/api/auth/session"))
            .header("cookie", format!("__Host-chat_session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), StatusCode::OK, "the prefixed cookie signs in");

        let plain = server
            .post_json(
                "/api/auth/signup",
                json!({"username": "bert", "password": PASSWORD}),
            )
            .await;
        assert!(
            plain.headers().get("strict-transport-security").is_none(),
            "not on plain http"
        );
        assert!(set_cookie(&plain, "chat_session").is_some());
    }
);

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
    cookie_writes_follow_the_csrf_rule_and_bearer_writes_do_not,
    |backend| {
        let server = TestServer::start(backend).await;
        let (token, _) = server.signup("grace", PASSWORD).await;
        let cookie = format!("chat_session={token}");
        let host = server.base.trim_start_matches("http://").to_owned();

        let without_json = server
            .client
            .post(server.url("/api/auth/logout"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(without_json.status(), StatusCode::FORBIDDEN);
        assert_error(&json(without_json).await, "csrf");

        let cross_site = server
            .client
            .post(server.url("/api/auth/logout"))
            .header("cookie", &cookie)
            .header("content-type", "application/json")
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
        assert_error(&json(cross_site).await, "csrf");

        let still_valid = server
            .authed(Method::GET, "/api/auth/session", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            still_valid.status(),
            StatusCode::OK,
            "refused writes changed nothing"
        );

        let reads_are_fine = server
            .client
            .get(server.url("/api/auth/sessions"))
            .header("cookie", &cookie)
            .header("origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        assert_eq!(reads_are_fine.status(), StatusCode::OK);

        let bearer_no_json = server
            .authed(Method::DELETE, "/api/auth/sessions/unknown", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            bearer_no_json.status(),
            StatusCode::NOT_FOUND,
            "bearer skips the CSRF rule"
        );

        let same_site = server
            .client
            .post(server.url("/api/auth/logout"))
            .header("cookie", &cookie)
            .header("content-type", "application/json")
            .header("origin", format!("http://{host}"))
            .send()
            .await
            .unwrap();
        assert_eq!(same_site.status(), StatusCode::NO_CONTENT);

        let cross_site_login = server
            .client
            .post(server.url("/api/auth/login"))
            .header("origin", "https://evil.example")
            .json(&json!({"username": "grace", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(cross_site_login.status(), StatusCode::FORBIDDEN);
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

both_backends!(failed_logins_are_throttled_per_username, |backend| {
    let settings = Settings {
        login_failures_per_user: 3,
        ..Settings::default()
    };
    let server = TestServer::start_with(backend, settings).await;
    server.signup("judy", PASSWORD).await;
    for _ in 0..3 {
        let response = server
            .post_json(
                "/api/auth/login",
                json!({"username": "judy", "password": "wrong wrong"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = server
        .post_json(
            "/api/auth/login",
            json!({"username": "judy", "password": PASSWORD}),
        )
        .await;
    assert_eq!(
        limited.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=300).contains(&retry_after), "{retry_after}");
    assert_error(&json(limited).await, "rate_limited");
    let other_user = server
        .post_json(
            "/api/auth/login",
            json!({"username": "nobody", "password": "x"}),
        )
        .await;
    assert_eq!(
        other_user.status(),
        StatusCode::UNAUTHORIZED,
        "other usernames are not affected"
    );
});

both_backends!(failed_logins_are_throttled_per_client_address, |backend| {
    let settings = Settings {
        login_failures_per_ip: 4,
        ..Settings::default()
    };
    let server = TestServer::start_with(backend, settings).await;
    for i in 0..4 {
        let response = server
            .post_json(
                "/api/auth/login",
                json!({"username": format!("user{i}"), "password": "wrong wrong"}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = server
        .post_json(
            "/api/auth/login",
            json!({"username": "fresh-name", "password": "x"}),
        )
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
});

both_backends!(signups_are_throttled_per_client_address, |backend| {
    let settings = Settings {
        signups_per_ip_per_hour: 2,
        ..Settings::default()
    };
    let server = TestServer::start_with(backend, settings).await;
    server.signup("kim", PASSWORD).await;
    server.signup("lee", PASSWORD).await;
    let limited = server
        .post_json(
            "/api/auth/signup",
            json!({"username": "max", "password": PASSWORD}),
        )
        .await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 60 && retry_after <= 1800, "{retry_after}");
});

/// The status of `POST path` with `body`, from the address `x-forwarded-for` claims.
async fn post_claiming(
    server: &TestServer,
    path: &str,
    forwarded_for: &str,
    body: Value,
) -> StatusCode {
    server
        .client
        .post(server.url(path))
        .header("x-forwarded-for", forwarded_for)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

/// Signs up a fresh user from the address that `x-forwarded-for` claims; the status.
async fn signup_claiming(server: &TestServer, username: &str, forwarded_for: &str) -> StatusCode {
    let body = json!({"username": username, "password": PASSWORD});
    post_claiming(server, "/api/auth/signup", forwarded_for, body).await
}

both_backends!(
    x_forwarded_for_is_believed_only_from_a_trusted_proxy,
    |backend| {
        // No proxy trusted (the default): the header is the client's own word, ignored.
        let settings = Settings {
            signups_per_ip_per_hour: 1,
            ..Settings::default()
        };
        let server = TestServer::start_with(backend, settings.clone()).await;
        assert_eq!(
            signup_claiming(&server, "ona", "203.0.113.1").await,
            StatusCode::CREATED
        );
        assert_eq!(
            signup_claiming(&server, "pia", "203.0.113.2").await,
            StatusCode::TOO_MANY_REQUESTS,
            "a rotated X-Forwarded-For opens no fresh bucket"
        );

        // Behind a trusted proxy (the test client's 127.0.0.1), the rightmost untrusted hop
        // is the client: hops left of it could be forged, so they do not count.
        let behind_proxy = Settings {
            trusted_proxies: chat_core::proxies::TrustedProxies::parse("127.0.0.1").unwrap(),
            ..settings
        };
        let server = TestServer::start_with(backend, behind_proxy).await;
        assert_eq!(
            signup_claiming(&server, "ona", "203.0.113.1").await,
            StatusCode::CREATED
        );
        assert_eq!(
            signup_claiming(&server, "pia", "203.0.113.2").await,
            StatusCode::CREATED
        );
        assert_eq!(
            signup_claiming(&server, "quin", "6.6.6.6, 203.0.113.1").await,
            StatusCode::TOO_MANY_REQUESTS,
            "a forged leftmost hop does not hide the real client"
        );
        assert_eq!(
            signup_claiming(&server, "rae", "2001:db8:1:2::1").await,
            StatusCode::CREATED
        );
        assert_eq!(
            signup_claiming(&server, "sol", "2001:db8:1:2::ffff").await,
            StatusCode::TOO_MANY_REQUESTS,
            "one IPv6 /64 is one client"
        );
    }
);

/// A login of `username` from the address `x-forwarded-for` claims; the status.
async fn login_from(
    server: &TestServer,
    username: &str,
    password: &str,
    address: &str,
) -> StatusCode {
    let body = json!({"username": username, "password": password});
    post_claiming(server, "/api/auth/login", address, body).await
}

both_backends!(
    parallel_guesses_cannot_outrun_the_login_throttle,
    |backend| {
        let settings = Settings {
            login_failures_per_user: 3,
            trusted_proxies: chat_core::proxies::TrustedProxies::parse("127.0.0.1").unwrap(),
            ..Settings::default()
        };
        let server = TestServer::start_with(backend, settings).await;
        server.signup("tess", PASSWORD).await;
        let wrong: Vec<String> = (0..12).map(|n| format!("guess number {n}")).collect();
        let guesses = wrong
            .iter()
            .map(|password| login_from(&server, "tess", password, "203.0.113.7"));
        let statuses = futures::future::join_all(guesses).await;
        let checked = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count();
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count();
        assert_eq!(
            (checked, refused),
            (3, 9),
            "tokens are taken before the password is checked: {statuses:?}"
        );
        assert_eq!(
            login_from(&server, "tess", PASSWORD, "203.0.113.7").await,
            StatusCode::TOO_MANY_REQUESTS,
            "the guessing address is locked out, even with the right password"
        );
        assert_eq!(
            login_from(&server, "tess", PASSWORD, "198.51.100.20").await,
            StatusCode::OK,
            "the owner elsewhere is not"
        );
    }
);

both_backends!(
    a_flood_of_logins_runs_a_bounded_number_of_password_hashes,
    |backend| {
        let settings = Settings {
            password_hashes_per_second: 2,
            trusted_proxies: chat_core::proxies::TrustedProxies::parse("127.0.0.1").unwrap(),
            ..Settings::default()
        };
        let server = TestServer::start_with(backend, settings).await;
        // From ten addresses at once, so no per-address bucket is what stops them.
        let server = &server;
        let guesses = (0..10).map(|n| {
            let address = format!("203.0.113.{}", n + 1);
            async move { login_from(server, "nobody", "not the password", &address).await }
        });
        let started = std::time::Instant::now();
        let statuses = futures::future::join_all(guesses).await;
        let elapsed = started.elapsed().as_secs_f64();
        let hashed = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count();
        let deferred = statuses
            .iter()
            .filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE)
            .count();
        assert_eq!(hashed + deferred, 10, "{statuses:?}");
        // Two at once, plus two a second while the others queued (a slow machine
        // stretches the flood, never the budget).
        let budget = 2 + (elapsed * 2.0).ceil() as usize;
        assert!(
            hashed <= budget && (deferred > 0 || budget >= 10),
            "{hashed} hashed in {elapsed:.2} s: {statuses:?}"
        );

        let response = server
            .post_json(
                "/api/auth/login",
                json!({"username": "nobody", "password": "not the password"}),
            )
            .await;
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert!(response.headers().contains_key("retry-after"));
            assert_error(&json(response).await, "unavailable");
        }
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(
            login_from(server, "nobody", "not the password", "198.51.100.1").await,
            StatusCode::UNAUTHORIZED,
            "capacity comes back"
        );
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

/// A login of `username` from `address` (claimed through the trusted proxy), carrying the
/// device cookie `device` when given; the status.
async fn login_with_device(
    server: &TestServer,
    username: &str,
    password: &str,
    address: &str,
    device: Option<&str>,
) -> StatusCode {
    let mut request = server
        .client
        .post(server.url("/api/auth/login"))
        .header("x-forwarded-for", address)
        .json(&json!({"username": username, "password": password}));
    if let Some(device) = device {
        request = request.header("cookie", device.to_owned());
    }
    request.send().await.unwrap().status()
}

both_backends!(
    guesses_from_many_addresses_are_bounded_per_account_but_never_lock_out_its_browsers,
    |backend| {
        let settings = Settings {
            login_failures_per_user: 2,
            password_hashes_per_second: 1000,
            trusted_proxies: chat_core::proxies::TrustedProxies::parse("127.0.0.1").unwrap(),
            ..Settings::default()
        };
        let server = TestServer::start_with(backend, settings).await;
        let signup = server
            .post_json(
                "/api/auth/signup",
                json!({"username": "tess", "password": PASSWORD}),
            )
            .await;
        let (device, cookie) = set_cookie(&signup, "chat_device").expect("a device cookie");
        assert!(cookie.contains("HttpOnly") && cookie.contains("Max-Age=34560000"));

        // A botnet: two guesses from each of many addresses. The account's own bucket
        // (five times one address's) stops them after ten, whatever the address.
        let mut statuses = Vec::new();
        for n in 0..8 {
            for guess in 0..2 {
                statuses.push(
                    login_with_device(
                        &server,
                        "tess",
                        &format!("guess {n} {guess} wrong"),
                        &format!("198.51.100.{n}"),
                        None,
                    )
                    .await,
                );
            }
        }
        assert!(
            statuses[..10]
                .iter()
                .all(|s| *s == StatusCode::UNAUTHORIZED),
            "{statuses:?}"
        );
        assert!(
            statuses[10..]
                .iter()
                .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
            "{statuses:?}"
        );
        // The owner from a new place with a fresh browser waits too...
        assert_eq!(
            login_with_device(&server, "tess", PASSWORD, "192.0.2.50", None).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        // ...but the browser they signed in with before gets in, from anywhere.
        assert_eq!(
            login_with_device(&server, "tess", PASSWORD, "192.0.2.51", Some(&device)).await,
            StatusCode::OK
        );
        // A device cookie is for its own account only.
        server.signup("uma", PASSWORD).await;
        assert_eq!(
            login_with_device(&server, "uma", "wrong for uma", "192.0.2.52", Some(&device)).await,
            StatusCode::UNAUTHORIZED
        );
    }
);

both_backends!(
    an_ipv6_client_counts_in_its_56_and_48_as_well_as_its_64,
    |backend| {
        let settings = Settings {
            login_failures_per_ip: 2,
            password_hashes_per_second: 1000,
            trusted_proxies: chat_core::proxies::TrustedProxies::parse("127.0.0.1").unwrap(),
            ..Settings::default()
        };
        let server = TestServer::start_with(backend, settings).await;
        // Unknown usernames, so only the address buckets count: 2 per /64, 8 per /56.
        let mut statuses = Vec::new();
        for subnet in 0..5 {
            for n in 0..2 {
                let address = format!("2001:db8:7:3{subnet}::{n}");
                statuses.push(
                    login_from(&server, &format!("who{subnet}x{n}"), "nope nope", &address).await,
                );
            }
        }
        assert!(
            statuses[..8].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
            "{statuses:?}"
        );
        assert_eq!(
            statuses[8],
            StatusCode::TOO_MANY_REQUESTS,
            "a fifth /64 of the same /56: {statuses:?}"
        );
        // Another /56 of the same /48 has room of its own (the /48 holds 32).
        assert_eq!(
            login_from(&server, "someone", "nope nope", "2001:db8:7:4400::1").await,
            StatusCode::UNAUTHORIZED
        );
    }
);

both_backends!(
    a_known_browser_still_gets_a_hash_when_the_shared_budget_is_spent,
    |backend| {
        let settings = Settings {
            password_hashes_per_second: 4,
            ..Settings::default()
        };
        let server = TestServer::start_with(backend, settings).await;
        let signup = server
            .post_json(
                "/api/auth/signup",
                json!({"username": "vic", "password": PASSWORD}),
            )
            .await;
        let (device, _) = set_cookie(&signup, "chat_device").expect("a device cookie");
        // Someone spends the deployment's hash budget (unknown usernames, sign-ups).
        let drain = || async {
            let rate = chat_core::ports::Rate::bucket(4, 4.0);
            while server
                .ports
                .limiter
                .acquire("argon2:all", rate)
                .await
                .unwrap()
                .is_allowed()
            {}
        };
        drain().await;
        let fresh = server
            .post_json(
                "/api/auth/login",
                json!({"username": "vic", "password": PASSWORD}),
            )
            .await;
        assert_eq!(
            fresh.status(),
            StatusCode::SERVICE_UNAVAILABLE,
            "the budget is spent"
        );
        drain().await;
        let known = server
            .client
            .post(server.url("/api/auth/login"))
            .header("cookie", device)
            .json(&json!({"username": "vic", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(known.status(), StatusCode::OK, "its share is kept for it");
    }
);

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
