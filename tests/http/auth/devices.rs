//! Known browsers keep their logins while others guess: device cookies, the account-wide
//! bucket, IPv6 prefixes, the share of hashes kept for them.

use super::*;

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
