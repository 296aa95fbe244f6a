//! Guessing throttled: per username, per client address (and which proxy is believed for
//! it), in parallel, and the bounded budget of password hashes.

use super::*;

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
