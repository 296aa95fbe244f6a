//! The second factor over HTTP: setting up an authenticator with the password and a code,
//! logins that then wait for a code, codes good once, recovery codes used up, challenges
//! that die, and taking it all away again, on both bus backends.

use chat_tests::{PASSWORD, Person, TestServer, assert_error, both_backends, json, person};
use reqwest::StatusCode;
use serde_json::{Value, json};
use totp_rs::{Builder, Secret};

/// The authenticator app's code for `secret` (base32) at `now_ms` plus `steps` steps.
fn code(secret: &str, now_ms: i64, steps: i64) -> String {
    let totp = Builder::new()
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap();
    let seconds = u64::try_from(now_ms / 1000 + steps * 30).unwrap();
    totp.generate(seconds).to_string()
}

fn now(server: &TestServer) -> i64 {
    server.ports.clock.now_ms()
}

/// Sets up and confirms an authenticator for `who`: its secret, the recovery codes, and the
/// code that confirmed it (used up).
async fn set_up(server: &TestServer, who: &Person) -> (String, Vec<String>, String) {
    let (status, setup) = server
        .by(who)
        .post(
            "/api/auth/second-factor/totp",
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{setup}");
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let first = code(&secret, now(server), 0);
    let (status, confirmed) = server
        .by(who)
        .post(
            "/api/auth/second-factor/totp/confirm",
            json!({"code": first}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let codes = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    (secret, codes, first)
}

/// `POST /api/auth/login` as `username`: status, body, and whether a cookie was set.
async fn login(server: &TestServer, username: &str) -> (StatusCode, Value, bool) {
    let response = server
        .post_json(
            "/api/auth/login",
            json!({"username": username, "password": PASSWORD}),
        )
        .await;
    let status = response.status();
    let cookie = response.headers().contains_key("set-cookie");
    (status, json(response).await, cookie)
}

async fn finish(server: &TestServer, challenge: &str, code: &str) -> reqwest::Response {
    server
        .post_json(
            "/api/auth/login/second-factor",
            json!({"challenge": challenge, "code": code}),
        )
        .await
}

both_backends!(
    an_authenticator_is_set_up_with_a_code_and_asked_at_every_login,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let (_, status) = server.by(&ann).get("/api/auth/second-factor").await;
        assert_eq!(status, json!({"totp": false, "recovery_codes_left": 0}));

        // The password first: a stolen session alone cannot add a factor.
        let (status, body) = server
            .by(&ann)
            .post(
                "/api/auth/second-factor/totp",
                json!({"password": "not the password"}),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&body, "invalid_credentials");
        let (_, setup) = server
            .by(&ann)
            .post(
                "/api/auth/second-factor/totp",
                json!({"password": PASSWORD}),
            )
            .await;
        let secret = setup["secret"].as_str().unwrap();
        assert_eq!(secret.len(), 32, "160 bits in base32");
        assert_eq!(
            setup["otpauth_uri"],
            format!(
                "otpauth://totp/Chat:ann?secret={secret}&issuer=Chat&algorithm=SHA1&digits=6&period=30"
            )
        );
        // Not asked at login until a code proves the app has the secret.
        assert_eq!(login(&server, "ann").await.0, StatusCode::OK);
        let (status, body) = server
            .by(&ann)
            .post(
                "/api/auth/second-factor/totp/confirm",
                json!({"code": "000000"}),
            )
            .await;
        if status != StatusCode::OK {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_error(&body, "invalid_code");
        }
    }
);

both_backends!(a_login_waits_for_a_code_that_is_good_once, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let (secret, recovery, first) = set_up(&server, &ann).await;
    assert_eq!(recovery.len(), 10);
    let (_, status) = server.by(&ann).get("/api/auth/second-factor").await;
    assert_eq!(status, json!({"totp": true, "recovery_codes_left": 10}));

    // The right password alone: no session, a challenge.
    let (status, body, cookie) = login(&server, "ann").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(!cookie, "no session yet");
    assert!(body.get("token").is_none() && body.get("user").is_none());
    assert_eq!(body["second_factor_required"], true);
    assert_eq!(body["expires_in"], 300);
    let challenge = body["challenge"].as_str().unwrap().to_owned();

    let wrong = finish(&server, &challenge, "123456").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_error(&json(wrong).await, "invalid_code");
    // The code that confirmed the set-up was used: the next one is the app's next.
    let used = finish(&server, &challenge, &first).await;
    assert_eq!(
        used.status(),
        StatusCode::UNAUTHORIZED,
        "a code is good once"
    );
    let next = code(&secret, now(&server), 1);
    let signed = finish(&server, &challenge, &next).await;
    assert_eq!(signed.status(), StatusCode::OK);
    assert!(signed.headers().contains_key("set-cookie"));
    let body = json(signed).await;
    assert_eq!(body["user"]["username"], "ann");
    assert_eq!(body["token"].as_str().map(str::len), Some(64));

    // The challenge is spent, and the code too.
    let again = finish(&server, &challenge, &next).await;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    assert_error(&json(again).await, "invalid_challenge");
    let (_, body, _) = login(&server, "ann").await;
    let challenge = body["challenge"].as_str().unwrap().to_owned();
    let replay = finish(&server, &challenge, &next).await;
    assert_error(&json(replay).await, "invalid_code");

    // A recovery code, typed loosely, signs in once.
    let loose = recovery[0].to_uppercase().replace('-', " ");
    let signed = finish(&server, &challenge, &loose).await;
    assert_eq!(signed.status(), StatusCode::OK);
    let (_, body, _) = login(&server, "ann").await;
    let challenge = body["challenge"].as_str().unwrap().to_owned();
    let reused = finish(&server, &challenge, &recovery[0]).await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED, "used up");
    let (_, status) = server.by(&ann).get("/api/auth/second-factor").await;
    assert_eq!(status["recovery_codes_left"], 9);

    // All of it is in ann's security activity, and no code is.
    let (_, trail) = server.by(&ann).get("/api/auth/security-events").await;
    let kinds: Vec<&str> = trail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "second_factor_on",
        "second_factor_asked",
        "second_factor_failed",
        "recovery_code_used",
        "signed_in",
    ] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert!(!trail.to_string().contains(&next));
});

both_backends!(
    challenges_die_after_five_wrong_codes_or_a_password_change,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let (secret, _, _) = set_up(&server, &ann).await;
        let (_, body, _) = login(&server, "ann").await;
        let challenge = body["challenge"].as_str().unwrap().to_owned();
        for _ in 0..5 {
            let wrong = finish(&server, &challenge, "000000").await;
            assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        }
        let late = finish(&server, &challenge, &code(&secret, now(&server), 1)).await;
        assert_error(&json(late).await, "invalid_challenge");

        let (_, body, _) = login(&server, "ann").await;
        let challenge = body["challenge"].as_str().unwrap().to_owned();
        let (status, _) = server
            .by(&ann)
            .post(
                "/api/auth/password",
                json!({"current_password": PASSWORD, "new_password": "an entirely new one 77"}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let voided = finish(&server, &challenge, &code(&secret, now(&server), 1)).await;
        assert_error(&json(voided).await, "invalid_challenge");
        let malformed = finish(&server, "not-a-challenge", "123456").await;
        assert_error(&json(malformed).await, "invalid_challenge");
    }
);

both_backends!(the_second_factor_goes_only_with_the_password, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    set_up(&server, &ann).await;
    // Set up twice is refused: remove first.
    let (status, body) = server
        .by(&ann)
        .post(
            "/api/auth/second-factor/totp",
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "second_factor_on");
    // New recovery codes replace the old.
    let (status, renewed) = server
        .by(&ann)
        .post(
            "/api/auth/second-factor/recovery-codes",
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(renewed["recovery_codes"].as_array().unwrap().len(), 10);

    let (status, body) = server
        .by(&ann)
        .post(
            "/api/auth/second-factor/remove",
            json!({"password": "wrong"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&body, "invalid_credentials");
    assert_eq!(login(&server, "ann").await.0, StatusCode::ACCEPTED);
    let (status, _) = server
        .by(&ann)
        .post(
            "/api/auth/second-factor/remove",
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body, cookie) = login(&server, "ann").await;
    assert_eq!(status, StatusCode::OK, "the password alone again");
    assert!(cookie && body["token"].is_string());
    let (_, status) = server.by(&ann).get("/api/auth/second-factor").await;
    assert_eq!(status, json!({"totp": false, "recovery_codes_left": 0}));
    let (status, body) = server
        .by(&ann)
        .post(
            "/api/auth/second-factor/recovery-codes",
            json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&body, "second_factor_off");
});
