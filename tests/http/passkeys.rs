//! Passkeys over HTTP: the ceremonies' options as WebAuthn's JSON names them, refusals of
//! what is not an answer, each ceremony kept until used, and hosts that cannot have
//! passkeys. (A real authenticator's answers are checked in the
//! browser suite, with Chromium's virtual authenticator: tests/browser/passkeys.test.mjs.)

use chat_tests::{TestServer, assert_error, both_backends, json, person};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// `who` calls `path` with the `Host` the browser would send for `host`.
async fn at_host(
    server: &TestServer,
    token: &str,
    method: Method,
    path: &str,
    host: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = server.authed(method, path, token).header("host", host);
    if let Some(body) = body {
        request = request.json(&body);
    } else {
        request = request.header("content-type", "application/json");
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, json(response).await)
}

both_backends!(
    passkey_ceremonies_start_on_a_domain_and_refuse_what_is_no_answer,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;

        let (status, error) = at_host(
            &server,
            &ann.token,
            Method::POST,
            "/api/auth/passkeys/options",
            "127.0.0.1:3000",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "passkeys_unavailable");

        let (status, options) = at_host(
            &server,
            &ann.token,
            Method::POST,
            "/api/auth/passkeys/options",
            "localhost:3000",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{options}");
        let public_key = options.get("publicKey").unwrap_or(&options);
        assert_eq!(public_key["rp"]["id"], "localhost");
        assert_eq!(public_key["user"]["name"], "ann");
        let challenge = public_key["challenge"].as_str().expect("a challenge");
        assert!(challenge.len() >= 22, "at least 128 bits: {challenge}");
        assert_eq!(
            public_key["authenticatorSelection"]["userVerification"],
            "required"
        );
        let (_, again) = at_host(
            &server,
            &ann.token,
            Method::POST,
            "/api/auth/passkeys/options",
            "localhost:3000",
            None,
        )
        .await;
        assert_ne!(
            again.get("publicKey").unwrap_or(&again)["challenge"],
            challenge,
            "a fresh challenge each time"
        );

        for credential in [
            json!({}),
            json!({"id": "x", "response": {}}),
            json!("not an object"),
        ] {
            let (status, error) = at_host(
                &server,
                &ann.token,
                Method::POST,
                "/api/auth/passkeys",
                "localhost:3000",
                Some(json!({"name": "Laptop", "credential": credential})),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{credential}");
            assert_error(&error, "invalid_credential");
        }
        let (status, error) = at_host(
            &server,
            &ann.token,
            Method::POST,
            "/api/auth/passkeys",
            "localhost:3000",
            Some(json!({"name": " ", "credential": {}})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "invalid_name");

        let (status, list) = at_host(
            &server,
            &ann.token,
            Method::GET,
            "/api/auth/passkeys",
            "localhost:3000",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(list["passkeys"], json!([]));
        let (status, _) = at_host(
            &server,
            &ann.token,
            Method::DELETE,
            "/api/auth/passkeys/nope",
            "localhost:3000",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Signing in: options for anyone, and answers that are none are refused as such.
        let (status, login) = at_host(
            &server,
            "",
            Method::POST,
            "/api/auth/passkey-login/options",
            "localhost:3000",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{login}");
        assert_eq!(
            login.get("publicKey").unwrap_or(&login)["rpId"],
            "localhost"
        );
        assert_eq!(
            login.get("publicKey").unwrap_or(&login)["allowCredentials"],
            json!([]),
            "discoverable: no username asked"
        );
        let (status, error) = at_host(
        &server, "", Method::POST, "/api/auth/passkey-login", "localhost:3000",
        Some(json!({"credential": {"id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {}}})),
    ).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "invalid_credential");
        let stored = server
            .ports
            .sql
            .query("SELECT count(*) FROM passkey_ceremonies", &[])
            .await
            .unwrap();
        assert_eq!(
            stored[0].get::<i64>(0).unwrap(),
            3,
            "each start keeps its ceremony until it is used or expires"
        );
    }
);
