//! Friend requests (accepted, crossing, declined, cancelled, refused, bounded) and the
//! friend list in pages.

use super::*;

both_backends!(
    friend_requests_accepted_make_friends_on_both_sides,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let (ann_mark, bob_mark) = (
            server.inbox_mark(&ann.id).await,
            server.inbox_mark(&bob.id).await,
        );

        let (status, request) = server
            .by(&ann)
            .post("/api/friends/requests", json!({"username": "BOB"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(request["from"]["username"], "ann");
        assert_eq!(request["to"]["username"], "bob");
        assert!(request["created_at"].is_string());
        for who in [&ann, &bob] {
            let mark = if who.id == ann.id {
                &ann_mark
            } else {
                &bob_mark
            };
            let events = server.events_since(&who.id, mark).await;
            assert_eq!(kinds(&events), ["friend_request"], "{}", who.username);
            assert_eq!(data(&events[0])["status"], "pending");
        }
        let (status, again) = server
            .by(&ann)
            .post("/api/friends/requests", json!({"username": "bob"}))
            .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a repeated request is not a second one"
        );
        assert_eq!(again, request);

        let (_, ann_list) = server.by(&ann).get("/api/friends").await;
        assert_eq!(ann_list["outgoing"].as_array().unwrap().len(), 1);
        assert!(ann_list["incoming"].as_array().unwrap().is_empty());
        let (_, bob_list) = server.by(&bob).get("/api/friends").await;
        assert_eq!(bob_list["incoming"][0]["from"]["username"], "ann");

        let (ann_mark, bob_mark) = (
            server.inbox_mark(&ann.id).await,
            server.inbox_mark(&bob.id).await,
        );
        let (status, accepted) = server
            .by(&bob)
            .post("/api/friends/requests/ann/accept", None)
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(accepted["friend"]["user"]["username"], "ann");
        assert!(accepted["friend"]["since"].is_string());
        let to_ann = server.events_since(&ann.id, &ann_mark).await;
        assert_eq!(kinds(&to_ann), ["friend_added"]);
        assert_eq!(
            data(&to_ann[0])["friend"]["user"]["username"],
            "bob",
            "each side hears of the other"
        );
        let to_bob = server.events_since(&bob.id, &bob_mark).await;
        assert_eq!(data(&to_bob[0])["friend"]["user"]["username"], "ann");

        for who in [&ann, &bob] {
            let (_, list) = server.by(who).get("/api/friends").await;
            assert_eq!(list["friends"].as_array().unwrap().len(), 1);
            assert!(
                list["incoming"].as_array().unwrap().is_empty()
                    && list["outgoing"].as_array().unwrap().is_empty()
            );
        }
        let (status, error) = server
            .by(&ann)
            .post("/api/friends/requests", json!({"username": "bob"}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_error(&error, "already_friends");
        let stored = server
            .ports
            .sql
            .query("SELECT count(*) FROM friendships", &[])
            .await
            .unwrap();
        assert_eq!(stored[0].get::<i64>(0).unwrap(), 1, "one row per pair");
    }
);

both_backends!(crossing_requests_become_a_friendship, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let (status, _) = server
        .by(&ann)
        .post("/api/friends/requests", json!({"username": "bob"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = server
        .by(&bob)
        .post("/api/friends/requests", json!({"username": "ann"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["friend"]["user"]["username"], "ann");
    let stored = server
        .ports
        .sql
        .query("SELECT count(*) FROM friend_requests", &[])
        .await
        .unwrap();
    assert_eq!(stored[0].get::<i64>(0).unwrap(), 0, "no request left over");
});

both_backends!(
    requests_can_be_declined_cancelled_and_friends_removed,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let cat = person(&server, "cat").await;

        server
            .by(&ann)
            .post("/api/friends/requests", json!({"username": "bob"}))
            .await;
        let (status, _) = server
            .by(&bob)
            .post("/api/friends/requests/ann/decline", None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, error) = server
            .by(&bob)
            .post("/api/friends/requests/ann/decline", None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_error(&error, "not_found");
        let (status, _) = server
            .by(&bob)
            .post("/api/friends/requests/ann/accept", None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "nothing left to accept");

        server
            .by(&ann)
            .post("/api/friends/requests", json!({"username": "cat"}))
            .await;
        let cat_mark = server.inbox_mark(&cat.id).await;
        let (status, _) = server
            .by(&ann)
            .delete("/api/friends/requests/cat", None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let events = server.events_since(&cat.id, &cat_mark).await;
        assert_eq!(data(&events[0])["status"], "cancelled");
        let (_, list) = server.by(&cat).get("/api/friends").await;
        assert!(list["incoming"].as_array().unwrap().is_empty());
        let (status, _) = server
            .by(&ann)
            .delete("/api/friends/requests/cat", None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        befriend(&server, &ann, &bob).await;
        let (ann_mark, bob_mark) = (
            server.inbox_mark(&ann.id).await,
            server.inbox_mark(&bob.id).await,
        );
        let (status, _) = server.by(&bob).delete("/api/friends/ann", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let to_ann = server.events_since(&ann.id, &ann_mark).await;
        assert_eq!(kinds(&to_ann), ["friend_removed"]);
        assert_eq!(data(&to_ann[0])["user_id"], bob.id.as_str());
        assert_eq!(
            data(&server.events_since(&bob.id, &bob_mark).await[0])["user_id"],
            ann.id.as_str()
        );
        let (status, _) = server.by(&bob).delete("/api/friends/ann", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

both_backends!(bad_friend_targets_are_refused, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let (status, error) = server
        .by(&ann)
        .post("/api/friends/requests", json!({"username": "ann"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&error, "invalid_target");
    for name in ["nobody", "x", "not a name!"] {
        let (status, _) = server
            .by(&ann)
            .post("/api/friends/requests", json!({"username": name}))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
    }
    let (status, _) = server
        .by(&ann)
        .post("/api/friends/requests", json!({"user": "bob"}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    for (method, path) in [
        (Method::GET, "/api/me"),
        (Method::GET, "/api/friends"),
        (Method::GET, "/api/users?q=a"),
        (Method::GET, "/api/blocks"),
        (Method::PUT, "/api/blocks/ann"),
    ] {
        let response = server
            .client
            .request(method, server.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
});

both_backends!(
    one_person_holds_at_most_a_hundred_waiting_requests,
    |backend| {
        let settings = Settings {
            signups_per_ip_per_hour: 1000,
            password_hashes_per_second: 10_000,
            ..Settings::default()
        };
        let server = TestServer::start_with(backend, settings).await;
        let target = person(&server, "popular").await;
        // A hundred strangers' requests, written straight to the table.
        for n in 0..100 {
            let stranger = person(&server, &format!("fan{n:03}")).await;
            server
                .ports
                .sql
                .execute(
                    "INSERT INTO friend_requests (from_id, to_id, created_at_ms) VALUES (?1, ?2, 1)",
                    &[stranger.id.as_str().into(), target.id.as_str().into()],
                )
                .await
                .unwrap();
        }
        let late = person(&server, "latecomer").await;
        let (status, body) = server
            .by(&late)
            .post("/api/friends/requests", json!({"username": "popular"}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_error(&body, "too_many_requests");
        // Declining one makes room.
        let (status, _) = server
            .by(&target)
            .post("/api/friends/requests/fan000/decline", None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = server
            .by(&late)
            .post("/api/friends/requests", json!({"username": "popular"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
);

both_backends!(the_friend_list_comes_in_pages_by_username, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    for name in ["eve", "bob", "dan", "cat", "fay"] {
        let friend = person(&server, name).await;
        befriend(&server, &ann, &friend).await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/friends?limit=2".to_owned();
    loop {
        let (status, page) = server.by(&ann).get(&path).await;
        assert_eq!(status, StatusCode::OK);
        let names: Vec<String> = page["friends"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["user"]["username"].as_str().unwrap().to_owned())
            .collect();
        assert!(names.len() <= 2);
        seen.extend(names);
        match page["next_after"].as_str() {
            Some(next) => path = format!("/api/friends?limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ["bob", "cat", "dan", "eve", "fay"]);
    let (_, whole) = server.by(&ann).get("/api/friends").await;
    assert_eq!(whole["friends"].as_array().unwrap().len(), 5);
    assert_eq!(whole["next_after"], serde_json::Value::Null);
    let (status, error) = server.by(&ann).get("/api/friends?limit=500").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&error, "invalid_limit");
});
