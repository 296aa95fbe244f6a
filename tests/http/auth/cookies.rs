//! The session cookie and CSRF: what a browser page gets (never the token), https, and
//! which writes a cookie may make.

use super::*;

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
