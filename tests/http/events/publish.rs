//! The publish API: notifications pushed with the right key, off without one, wrong keys
//! throttled before any comparison.

use super::*;

both_backends!(
    the_publish_api_pushes_notifications_with_the_right_key,
    |backend| {
        let server = TestServer::start_with(backend, settings()).await;
        let ann = person(&server, "ann").await;
        let mut stream = server.events(&ann.token, None).await;

        let post = |key: Option<&str>, user: &str, body: String, content_type: &str| {
            let mut request = server
                .client
                .post(server.url(&format!("/api/publish/{user}")))
                .header("content-type", content_type)
                .body(body);
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            request.send()
        };
        let ok = post(
            Some(KEY),
            "ann",
            r#"{"title":"build passed","url":"/x"}"#.into(),
            "application/json",
        )
        .await
        .unwrap();
        assert_eq!(ok.status(), StatusCode::ACCEPTED);
        let (_, kind, data) = stream.next_event(WAIT).await.expect("notification");
        assert_eq!(kind, "notification");
        assert_eq!(data, json!({"title": "build passed", "url": "/x"}));

        let wrong = post(Some("wrong"), "ann", "{}".into(), "application/json")
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert_error(&json(wrong).await, "invalid_publish_key");
        let missing = post(None, "ann", "{}".into(), "application/json")
            .await
            .unwrap();
        assert_eq!(missing.status(), StatusCode::UNAUTHORIZED);
        let not_object = post(Some(KEY), "ann", "[1,2]".into(), "application/json")
            .await
            .unwrap();
        assert_eq!(not_object.status(), StatusCode::BAD_REQUEST);
        assert_error(&json(not_object).await, "invalid_notification");
        let malformed = post(Some(KEY), "ann", "{".into(), "application/json")
            .await
            .unwrap();
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
        let too_big = post(
            Some(KEY),
            "ann",
            format!(r#"{{"x":"{}"}}"#, "y".repeat(16 * 1024)),
            "application/json",
        )
        .await
        .unwrap();
        assert_eq!(too_big.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let text = post(Some(KEY), "ann", "{}".into(), "text/plain")
            .await
            .unwrap();
        assert_eq!(text.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let nobody = post(Some(KEY), "nobody", "{}".into(), "application/json")
            .await
            .unwrap();
        assert_eq!(nobody.status(), StatusCode::NOT_FOUND);
        assert!(
            stream
                .next_event(Duration::from_millis(500))
                .await
                .is_none(),
            "refused pushes deliver nothing"
        );
    }
);

both_backends!(the_publish_api_is_off_without_a_key, |backend| {
    let server = TestServer::start(backend).await;
    person(&server, "ann").await;
    let response = server
        .client
        .post(server.url("/api/publish/ann"))
        .bearer_auth("anything")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
});

both_backends!(
    wrong_publish_keys_are_throttled_per_address_before_any_comparison,
    |backend| {
        let server = TestServer::start_with(backend, settings()).await;
        person(&server, "ann").await;
        let mut statuses = Vec::new();
        for n in 0..12 {
            let response = publish(&server, "ann", json!({"n": n})).await;
            statuses.push(response.status());
            // Guess with a wrong key: the helper uses the right one, so make one up.
            let wrong = server
                .client
                .post(server.url("/api/publish/ann"))
                .bearer_auth(format!("guess-{n}"))
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            statuses.push(wrong.status());
        }
        let wrong: Vec<StatusCode> = statuses.iter().skip(1).step_by(2).copied().collect();
        assert!(
            wrong[..10].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
            "{wrong:?}"
        );
        assert_eq!(wrong[10], StatusCode::TOO_MANY_REQUESTS, "{wrong:?}");
        // Once the guesses are spent, the right key from that address waits too: a guess
        // that happened to be right would otherwise stand out.
        let right = publish(&server, "ann", json!({"late": true})).await;
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(right.headers().contains_key("retry-after"));
    }
);
