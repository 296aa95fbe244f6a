//! The skeleton every feature plugs into: health, the error shape for unknown routes and
//! methods, the static page with its headers, and security headers on every response.

use chat_tests::{Backend, TestServer, assert_error, both_backends, json};
use reqwest::StatusCode;

both_backends!(health_reports_ok_with_the_bus_backend, |backend| {
    let server = TestServer::start(backend).await;
    let response = server.get("/api/health").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body = json(response).await;
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "ok");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Redis => "redis",
    };
    assert_eq!(body["bus"], expected);
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_503_naming_the_bus_when_redis_is_down() {
    let mut server = TestServer::start(Backend::Redis).await;
    assert_eq!(server.get("/api/health").await.status(), StatusCode::OK);
    server.redis.as_mut().expect("redis").kill();
    let response = server.get("/api/health").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body = json(response).await;
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["bus"], "redis");
    assert_eq!(body["bus_status"], "down");
    assert_error(&body, "dependency_down");
    assert_eq!(body["error"]["failing"], serde_json::json!(["bus"]));
    let text = body.to_string();
    assert!(
        !text.contains("127.0.0.1"),
        "no internals in the body: {text}"
    );
}

both_backends!(unknown_api_routes_are_json_404s, |backend| {
    let server = TestServer::start(backend).await;
    for path in [
        "/api/nope",
        "/api",
        "/api/auth/nothing-yet",
        "/api/conversations/x/y/z",
    ] {
        let response = server.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert_error(&json(response).await, "not_found");
    }
});

both_backends!(wrong_method_is_405_in_the_error_shape, |backend| {
    let server = TestServer::start(backend).await;
    let response = server
        .client
        .delete(server.url("/api/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_error(&json(response).await, "method_not_allowed");
    let response = server.client.post(server.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
});

both_backends!(
    the_page_is_served_with_a_strict_csp_and_an_etag,
    |backend| {
        let server = TestServer::start(backend).await;
        let response = server.get("/").await;
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && csp.contains("script-src 'self'"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        let etag = headers["etag"].to_str().unwrap().to_owned();
        let html = response.text().await.unwrap();
        assert!(
            html.contains("<script type=\"module\" src=\"/app.js\">"),
            "{html}"
        );
        assert!(
            !html.contains("style=") && !html.contains("onclick"),
            "no inline code"
        );

        let again = server
            .client
            .get(server.url("/index.html"))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);

        for (path, content_type) in [
            ("/app.js", "text/javascript; charset=utf-8"),
            ("/app.css", "text/css; charset=utf-8"),
            ("/favicon.svg", "image/svg+xml"),
        ] {
            let response = server.get(path).await;
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.headers()["content-type"], content_type, "{path}");
        }
        let missing = server.get("/missing.png").await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_error(&json(missing).await, "not_found");
    }
);

both_backends!(api_responses_are_not_cached, |backend| {
    let server = TestServer::start(backend).await;
    let response = server.get("/api/health").await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
});

both_backends!(
    every_kind_of_response_refuses_framing_and_a_shared_window,
    |backend| {
        let server = TestServer::start(backend).await;
        let page = server.get("/").await;
        let api = server.get("/api/health").await;
        let error = server.get("/api/nothing-here").await;
        let unauthenticated = server.get("/api/me").await;
        for (what, response) in [
            ("page", &page),
            ("api", &api),
            ("error", &error),
            ("401", &unauthenticated),
        ] {
            let headers = response.headers();
            let csp = headers["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
            assert_eq!(
                headers["cross-origin-opener-policy"], "same-origin",
                "{what}"
            );
            assert_eq!(headers["x-frame-options"], "DENY", "{what}");
            assert_eq!(headers["x-content-type-options"], "nosniff", "{what}");
        }
        let csp = api.headers()["content-security-policy"].to_str().unwrap();
        assert_eq!(
            csp, "default-src 'none'; frame-ancestors 'none'",
            "JSON runs nothing"
        );
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hsts_leaves_subdomains_out_when_told_to() {
    let settings = chat_core::settings::Settings {
        hsts_include_subdomains: false,
        ..chat_core::settings::Settings::default()
    };
    let server = TestServer::start_with(Backend::Sqlite, settings).await;
    let response = server
        .client
        .get(server.url("/api/health"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
}
