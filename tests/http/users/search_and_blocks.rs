//! Finding people (by prefix, through indexes, throttled), blocking, and the rate limit of
//! writes that fan out.

use super::*;

both_backends!(search_finds_by_username_or_display_name_prefix, |backend| {
    // 28 accounts from one address: more than the default signup throttle allows.
    let settings = Settings {
        signups_per_ip_per_hour: 100,
        ..Settings::default()
    };
    let server = TestServer::start_with(backend, settings).await;
    let ann = person(&server, "ann").await;
    for i in 0..25 {
        server.signup(&format!("sam{i:02}"), PASSWORD).await;
    }
    let zed = person(&server, "zed").await;
    server
        .by(&zed)
        .patch("/api/me", json!({"display_name": "Samantha Z"}))
        .await;
    person(&server, "annette").await;

    let search = |q: &str| {
        let url = format!("/api/users?q={q}");
        let server = &server;
        let token = ann.token.clone();
        async move {
            let response = server
                .authed(Method::GET, &url, &token)
                .send()
                .await
                .unwrap();
            (response.status(), json(response).await)
        }
    };
    let (status, found) = search("SAM").await;
    assert_eq!(status, StatusCode::OK);
    let users = found["users"].as_array().unwrap();
    assert_eq!(users.len(), 20, "at most 20");
    assert_eq!(users[0]["username"], "sam00", "ordered by username");
    for u in users {
        assert_eq!(
            u.as_object().unwrap().len(),
            6,
            "user_summary fields only: {u}"
        );
    }
    let (_, found) = search("samantha").await;
    assert_eq!(
        found["users"][0]["username"], "zed",
        "display names match too, any case"
    );
    let (_, found) = search("ann").await;
    let names: Vec<&str> = found["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["annette"], "never the caller");
    for bad in ["", "%20%20", &"x".repeat(65)] {
        let (status, error) = search(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_error(&error, "invalid_query");
    }
    let missing = server
        .authed(Method::GET, "/api/users", &ann.token)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
});

both_backends!(search_is_served_by_indexes, |backend| {
    let server = TestServer::start(backend).await;
    let plan = server
        .ports
        .sql
        .query(
            &format!("EXPLAIN QUERY PLAN {}", chat_core::users::search_sql()),
            &[
                "me".into(),
                0.into(),
                "ab".into(),
                "ab\u{10FFFF}".into(),
                20.into(),
            ],
        )
        .await
        .unwrap();
    let steps: Vec<String> = plan.iter().map(|r| r.get::<String>(3).unwrap()).collect();
    let text = steps.join("\n");
    assert!(
        !text.contains("SCAN u\n")
            && !text.contains("SCAN users")
            && !steps.iter().any(|s| s == "SCAN u"),
        "{text}"
    );
    assert!(text.contains("MULTI-INDEX OR"), "{text}");
    assert!(
        text.contains("username") && text.contains("users_by_display_name_key"),
        "{text}"
    );
});

both_backends!(blocking_ends_friendship_and_hides_the_blocker, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    befriend(&server, &ann, &bob).await;
    server
        .by(&bob)
        .post("/api/friends/requests", json!({"username": "ann"}))
        .await;
    let bob_mark = server.inbox_mark(&bob.id).await;

    let (status, _) = server.by(&ann).put("/api/blocks/bob", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.by(&ann).put("/api/blocks/bob", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "idempotent");
    assert_eq!(
        kinds(&server.events_since(&bob.id, &bob_mark).await),
        ["friend_removed"]
    );
    let (_, ann_friends) = server.by(&ann).get("/api/friends").await;
    assert!(ann_friends["friends"].as_array().unwrap().is_empty());
    let (_, blocked) = server.by(&ann).get("/api/blocks").await;
    assert_eq!(blocked["blocked"][0]["username"], "bob");

    // Bob can no longer find, look up or ask Ann.
    let (status, _) = server.by(&bob).get("/api/users/ann").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, found) = server.by(&bob).get("/api/users?q=an").await;
    assert!(found["users"].as_array().unwrap().is_empty());
    let (status, _) = server
        .by(&bob)
        .post("/api/friends/requests", json!({"username": "ann"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Ann still sees Bob, but cannot ask him either while she blocks him.
    let (status, _) = server.by(&ann).get("/api/users/bob").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .by(&ann)
        .post("/api/friends/requests", json!({"username": "bob"}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = server.by(&ann).delete("/api/blocks/bob", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = server.by(&bob).get("/api/users/ann").await;
    assert_eq!(status, StatusCode::OK, "visible again");
    let (_, bob_friends) = server.by(&bob).get("/api/friends").await;
    assert!(
        bob_friends["friends"].as_array().unwrap().is_empty(),
        "friendship does not come back"
    );
    let (status, _) = server.by(&ann).put("/api/blocks/nobody", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, error) = server.by(&ann).put("/api/blocks/ann", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&error, "invalid_target");
});

both_backends!(writes_that_fan_out_are_rate_limited_per_user, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    // Profile changes reach every friend: a burst, then a trickle.
    let mut statuses = Vec::new();
    for n in 0..14 {
        let (status, _) = server
            .by(&ann)
            .patch("/api/me", json!({"status_message": format!("mood {n}")}))
            .await;
        statuses.push(status);
    }
    assert!(
        statuses[..10].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(statuses[13], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    let (_, me) = server.by(&ann).get("/api/me").await;
    assert_eq!(
        me["status_message"], "mood 9",
        "refused changes changed nothing"
    );
    // Another user, and another kind of write, have buckets of their own.
    let (status, _) = server
        .by(&bob)
        .patch("/api/me", json!({"status_message": "fine"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server
        .by(&ann)
        .put("/api/me/presence", json!({"presence": "away"}))
        .await;
    assert_eq!(status, StatusCode::OK);
});

both_backends!(
    finding_people_is_throttled_so_nobody_lists_every_account,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        person(&server, "bob").await;
        // Walking the alphabet: a burst of 30 answers, then about two a second.
        let mut statuses = Vec::new();
        for n in 0..45 {
            let path = if n % 2 == 0 {
                format!("/api/users?q={}", char::from(b'a' + (n % 26) as u8))
            } else {
                "/api/users/bob".to_owned()
            };
            let (status, body) = server.by(&ann).get(&path).await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                assert_error(&body, "rate_limited");
            }
            statuses.push(status);
        }
        assert!(
            statuses[..30].iter().all(|s| *s == StatusCode::OK),
            "{statuses:?}"
        );
        assert!(
            statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
            "{statuses:?}"
        );
    }
);
