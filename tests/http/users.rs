//! The users component over HTTP: profile, presence, search, friend requests, friends and
//! blocks, with the events each action appends (read back through the Inbox port), on both
//! bus backends.

use chat_core::settings::Settings;
use chat_tests::{
    PASSWORD, Person, TestServer, assert_error, befriend, both_backends, call, data, json, kinds,
    person, room,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

both_backends!(me_shows_and_updates_the_own_profile, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let eve = person(&server, "eve").await;
    befriend(&server, &ann, &bob).await;

    let (status, me) = call(&server, &ann, Method::GET, "/api/me", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "ann");
    assert_eq!(
        me["presence"], "online",
        "the chosen presence of a new user"
    );

    let (bob_mark, eve_mark, ann_mark) = (
        server.inbox_mark(&bob.id).await,
        server.inbox_mark(&eve.id).await,
        server.inbox_mark(&ann.id).await,
    );
    let (status, updated) = call(
        &server,
        &ann,
        Method::PATCH,
        "/api/me",
        Some(json!({"display_name": " Ann A. ", "status_message": "at lunch"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["display_name"], "Ann A.");
    assert_eq!(updated["status_message"], "at lunch");
    assert_eq!(
        call(&server, &ann, Method::GET, "/api/me", None).await.1,
        updated
    );

    let to_bob = server.events_since(&bob.id, &bob_mark).await;
    assert_eq!(kinds(&to_bob), ["profile"]);
    assert_eq!(data(&to_bob[0])["user"]["display_name"], "Ann A.");
    assert_eq!(data(&to_bob[0])["user_id"], ann.id.as_str());
    assert_eq!(
        kinds(&server.events_since(&ann.id, &ann_mark).await),
        ["profile"],
        "own other tabs"
    );
    assert!(
        server.events_since(&eve.id, &eve_mark).await.is_empty(),
        "strangers hear nothing"
    );

    for (body, code) in [
        (json!({"display_name": ""}), "invalid_display_name"),
        (json!({"display_name": "a\nb"}), "invalid_display_name"),
        // Names that read as something else: a right-to-left override, a zero-width space
        // making a look-alike of another name, an isolate left open.
        (
            json!({"display_name": "adm\u{202E}nimda"}),
            "invalid_display_name",
        ),
        (
            json!({"display_name": "bo\u{200B}b"}),
            "invalid_display_name",
        ),
        (
            json!({"display_name": "ann\u{2067}"}),
            "invalid_display_name",
        ),
        (
            json!({"status_message": "away \u{202D}back soon"}),
            "invalid_status_message",
        ),
        (
            json!({"status_message": "x".repeat(141)}),
            "invalid_status_message",
        ),
        (
            json!({"status_message": "tab\u{7}"}),
            "invalid_status_message",
        ),
        (
            json!({"display_name": "ok", "status_message": "y".repeat(141)}),
            "invalid_status_message",
        ),
        (json!({"nickname": "x"}), "invalid_json"),
    ] {
        let (status, error) =
            call(&server, &ann, Method::PATCH, "/api/me", Some(body.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_error(&error, code);
    }
    let (_, unchanged) = call(&server, &ann, Method::GET, "/api/me", None).await;
    assert_eq!(unchanged, updated, "invalid updates change nothing");
    let (status, cleared) = call(
        &server,
        &ann,
        Method::PATCH,
        "/api/me",
        Some(json!({"status_message": ""})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cleared["status_message"], "");
});

both_backends!(
    presence_is_chosen_and_seen_only_by_connected_friends,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let eve = person(&server, "eve").await;
        befriend(&server, &ann, &bob).await;
        let seen_by = |viewer: &Person| {
            let viewer_token = viewer.token.clone();
            let server = &server;
            async move {
                let response = server
                    .authed(Method::GET, "/api/users/ann", &viewer_token)
                    .send()
                    .await
                    .unwrap();
                json(response).await["presence"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        assert_eq!(seen_by(&bob).await, "offline", "no event stream yet");

        server.connect(&ann.id).await;
        assert_eq!(seen_by(&bob).await, "online");
        assert_eq!(
            seen_by(&eve).await,
            "offline",
            "non-friends always see offline"
        );

        let bob_mark = server.inbox_mark(&bob.id).await;
        let (status, me) = call(
            &server,
            &ann,
            Method::PUT,
            "/api/me/presence",
            Some(json!({"presence": "busy"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["presence"], "busy");
        assert_eq!(seen_by(&bob).await, "busy");
        let events = server.events_since(&bob.id, &bob_mark).await;
        assert_eq!(kinds(&events), ["presence"]);
        assert_eq!(
            data(&events[0]),
            json!({"user_id": ann.id, "presence": "busy"})
        );

        let bob_mark = server.inbox_mark(&bob.id).await;
        let (_, me) = call(
            &server,
            &ann,
            Method::PUT,
            "/api/me/presence",
            Some(json!({"presence": "invisible"})),
        )
        .await;
        assert_eq!(
            me["presence"], "invisible",
            "her own record shows her choice"
        );
        assert_eq!(seen_by(&bob).await, "offline");
        let events = server.events_since(&bob.id, &bob_mark).await;
        assert_eq!(
            data(&events[0])["presence"],
            "offline",
            "invisible looks offline"
        );

        for bad in [
            json!({"presence": "offline"}),
            json!({"presence": "Online"}),
            json!({}),
        ] {
            let (status, error) = call(
                &server,
                &ann,
                Method::PUT,
                "/api/me/presence",
                Some(bad.clone()),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(
                error["error"]["code"] == "invalid_presence"
                    || error["error"]["code"] == "invalid_json"
            );
        }
    }
);

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

        let (status, request) = call(
            &server,
            &ann,
            Method::POST,
            "/api/friends/requests",
            Some(json!({"username": "BOB"})),
        )
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
        let (status, again) = call(
            &server,
            &ann,
            Method::POST,
            "/api/friends/requests",
            Some(json!({"username": "bob"})),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a repeated request is not a second one"
        );
        assert_eq!(again, request);

        let (_, ann_list) = call(&server, &ann, Method::GET, "/api/friends", None).await;
        assert_eq!(ann_list["outgoing"].as_array().unwrap().len(), 1);
        assert!(ann_list["incoming"].as_array().unwrap().is_empty());
        let (_, bob_list) = call(&server, &bob, Method::GET, "/api/friends", None).await;
        assert_eq!(bob_list["incoming"][0]["from"]["username"], "ann");

        let (ann_mark, bob_mark) = (
            server.inbox_mark(&ann.id).await,
            server.inbox_mark(&bob.id).await,
        );
        let (status, accepted) = call(
            &server,
            &bob,
            Method::POST,
            "/api/friends/requests/ann/accept",
            None,
        )
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
            let (_, list) = call(&server, who, Method::GET, "/api/friends", None).await;
            assert_eq!(list["friends"].as_array().unwrap().len(), 1);
            assert!(
                list["incoming"].as_array().unwrap().is_empty()
                    && list["outgoing"].as_array().unwrap().is_empty()
            );
        }
        let (status, error) = call(
            &server,
            &ann,
            Method::POST,
            "/api/friends/requests",
            Some(json!({"username": "bob"})),
        )
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
    let (status, _) = call(
        &server,
        &ann,
        Method::POST,
        "/api/friends/requests",
        Some(json!({"username": "bob"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = call(
        &server,
        &bob,
        Method::POST,
        "/api/friends/requests",
        Some(json!({"username": "ann"})),
    )
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

        call(
            &server,
            &ann,
            Method::POST,
            "/api/friends/requests",
            Some(json!({"username": "bob"})),
        )
        .await;
        let (status, _) = call(
            &server,
            &bob,
            Method::POST,
            "/api/friends/requests/ann/decline",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, error) = call(
            &server,
            &bob,
            Method::POST,
            "/api/friends/requests/ann/decline",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_error(&error, "not_found");
        let (status, _) = call(
            &server,
            &bob,
            Method::POST,
            "/api/friends/requests/ann/accept",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "nothing left to accept");

        call(
            &server,
            &ann,
            Method::POST,
            "/api/friends/requests",
            Some(json!({"username": "cat"})),
        )
        .await;
        let cat_mark = server.inbox_mark(&cat.id).await;
        let (status, _) = call(
            &server,
            &ann,
            Method::DELETE,
            "/api/friends/requests/cat",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let events = server.events_since(&cat.id, &cat_mark).await;
        assert_eq!(data(&events[0])["status"], "cancelled");
        let (_, list) = call(&server, &cat, Method::GET, "/api/friends", None).await;
        assert!(list["incoming"].as_array().unwrap().is_empty());
        let (status, _) = call(
            &server,
            &ann,
            Method::DELETE,
            "/api/friends/requests/cat",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        befriend(&server, &ann, &bob).await;
        let (ann_mark, bob_mark) = (
            server.inbox_mark(&ann.id).await,
            server.inbox_mark(&bob.id).await,
        );
        let (status, _) = call(&server, &bob, Method::DELETE, "/api/friends/ann", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let to_ann = server.events_since(&ann.id, &ann_mark).await;
        assert_eq!(kinds(&to_ann), ["friend_removed"]);
        assert_eq!(data(&to_ann[0])["user_id"], bob.id.as_str());
        assert_eq!(
            data(&server.events_since(&bob.id, &bob_mark).await[0])["user_id"],
            ann.id.as_str()
        );
        let (status, _) = call(&server, &bob, Method::DELETE, "/api/friends/ann", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

both_backends!(bad_friend_targets_are_refused, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let (status, error) = call(
        &server,
        &ann,
        Method::POST,
        "/api/friends/requests",
        Some(json!({"username": "ann"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&error, "invalid_target");
    for name in ["nobody", "x", "not a name!"] {
        let (status, _) = call(
            &server,
            &ann,
            Method::POST,
            "/api/friends/requests",
            Some(json!({"username": name})),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}");
    }
    let (status, _) = call(
        &server,
        &ann,
        Method::POST,
        "/api/friends/requests",
        Some(json!({"user": "bob"})),
    )
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
    call(
        &server,
        &zed,
        Method::PATCH,
        "/api/me",
        Some(json!({"display_name": "Samantha Z"})),
    )
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
    call(
        &server,
        &bob,
        Method::POST,
        "/api/friends/requests",
        Some(json!({"username": "ann"})),
    )
    .await;
    let bob_mark = server.inbox_mark(&bob.id).await;

    let (status, _) = call(&server, &ann, Method::PUT, "/api/blocks/bob", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&server, &ann, Method::PUT, "/api/blocks/bob", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "idempotent");
    assert_eq!(
        kinds(&server.events_since(&bob.id, &bob_mark).await),
        ["friend_removed"]
    );
    let (_, ann_friends) = call(&server, &ann, Method::GET, "/api/friends", None).await;
    assert!(ann_friends["friends"].as_array().unwrap().is_empty());
    let (_, blocked) = call(&server, &ann, Method::GET, "/api/blocks", None).await;
    assert_eq!(blocked["blocked"][0]["username"], "bob");

    // Bob can no longer find, look up or ask Ann.
    let (status, _) = call(&server, &bob, Method::GET, "/api/users/ann", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, found) = call(&server, &bob, Method::GET, "/api/users?q=an", None).await;
    assert!(found["users"].as_array().unwrap().is_empty());
    let (status, _) = call(
        &server,
        &bob,
        Method::POST,
        "/api/friends/requests",
        Some(json!({"username": "ann"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Ann still sees Bob, but cannot ask him either while she blocks him.
    let (status, _) = call(&server, &ann, Method::GET, "/api/users/bob", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &server,
        &ann,
        Method::POST,
        "/api/friends/requests",
        Some(json!({"username": "bob"})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, _) = call(&server, &ann, Method::DELETE, "/api/blocks/bob", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = call(&server, &bob, Method::GET, "/api/users/ann", None).await;
    assert_eq!(status, StatusCode::OK, "visible again");
    let (_, bob_friends) = call(&server, &bob, Method::GET, "/api/friends", None).await;
    assert!(
        bob_friends["friends"].as_array().unwrap().is_empty(),
        "friendship does not come back"
    );
    let (status, _) = call(&server, &ann, Method::PUT, "/api/blocks/nobody", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, error) = call(&server, &ann, Method::PUT, "/api/blocks/ann", None).await;
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
        let (status, _) = call(
            &server,
            &ann,
            Method::PATCH,
            "/api/me",
            Some(json!({"status_message": format!("mood {n}")})),
        )
        .await;
        statuses.push(status);
    }
    assert!(
        statuses[..10].iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(statuses[13], StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    let (_, me) = call(&server, &ann, Method::GET, "/api/me", None).await;
    assert_eq!(
        me["status_message"], "mood 9",
        "refused changes changed nothing"
    );
    // Another user, and another kind of write, have buckets of their own.
    let (status, _) = call(
        &server,
        &bob,
        Method::PATCH,
        "/api/me",
        Some(json!({"status_message": "fine"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &server,
        &ann,
        Method::PUT,
        "/api/me/presence",
        Some(json!({"presence": "away"})),
    )
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
            let (status, body) = call(&server, &ann, Method::GET, &path, None).await;
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

both_backends!(
    an_account_exports_its_data_and_is_deleted_leaving_tombstones,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        befriend(&server, &ann, &bob).await;
        let id = room(&server, &ann, "club", &[&bob]).await;
        let (status, _) = call(
            &server,
            &ann,
            Method::POST,
            &format!("/api/conversations/{id}/messages"),
            Some(json!({"body": "ann was here", "client_id": "a1"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        call(
            &server,
            &bob,
            Method::POST,
            &format!("/api/conversations/{id}/messages"),
            Some(json!({"body": "bob stays", "client_id": "b1"})),
        )
        .await;

        // The export: her data, no secret.
        let (status, export) = call(&server, &ann, Method::GET, "/api/me/export", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(export["user"]["username"], "ann");
        assert_eq!(export["friends"][0]["username"], "bob");
        assert_eq!(export["messages_sent"][0]["body"], "ann was here");
        assert_eq!(export["conversations"].as_array().unwrap().len(), 1);
        for section in ["passkeys", "reports_filed"] {
            assert!(export[section].is_array(), "{section} is exported");
        }
        assert_eq!(
            export["conversation_roles"],
            json!([{"conversation_id": id, "role": "owner"}]),
            "she made the club"
        );
        let text = export.to_string();
        assert!(!text.contains("argon2") && !text.contains(&ann.token));

        // Deleting needs the password.
        let (status, _) = call(
            &server,
            &ann,
            Method::DELETE,
            "/api/me",
            Some(json!({"password": "not hers at all"})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let bob_mark = server.inbox_mark(&bob.id).await;
        let (status, _) = call(
            &server,
            &ann,
            Method::DELETE,
            "/api/me",
            Some(json!({"password": chat_tests::PASSWORD})),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);

        // Her session is gone; so is signing in; the name is free again.
        let (status, _) = call(&server, &ann, Method::GET, "/api/me", None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let login = server
            .post_json(
                "/api/auth/login",
                json!({"username": "ann", "password": chat_tests::PASSWORD}),
            )
            .await;
        assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
        server.signup("ann", chat_tests::PASSWORD).await;

        // Bob was told, and the room keeps its order with her words gone.
        let heard = kinds(&server.events_since(&bob.id, &bob_mark).await);
        assert!(heard.contains(&"friend_removed"), "{heard:?}");
        assert!(heard.contains(&"member_left"), "{heard:?}");
        let (_, history) = call(
            &server,
            &bob,
            Method::GET,
            &format!("/api/conversations/{id}/messages"),
            None,
        )
        .await;
        let messages = history["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0]["deleted"], true);
        assert_eq!(messages[0]["body"], "");
        assert_eq!(messages[0]["sender"]["display_name"], "Deleted user");
        assert_eq!(messages[1]["body"], "bob stays");
        let (_, found) = call(&server, &bob, Method::GET, "/api/search?q=here", None).await;
        assert!(found["results"].as_array().unwrap().is_empty());
    }
);

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
        let (status, body) = call(
            &server,
            &late,
            Method::POST,
            "/api/friends/requests",
            Some(json!({"username": "popular"})),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_error(&body, "too_many_requests");
        // Declining one makes room.
        let (status, _) = call(
            &server,
            &target,
            Method::POST,
            "/api/friends/requests/fan000/decline",
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = call(
            &server,
            &late,
            Method::POST,
            "/api/friends/requests",
            Some(json!({"username": "popular"})),
        )
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
        let (status, page) = call(&server, &ann, Method::GET, &path, None).await;
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
    let (_, whole) = call(&server, &ann, Method::GET, "/api/friends", None).await;
    assert_eq!(whole["friends"].as_array().unwrap().len(), 5);
    assert_eq!(whole["next_after"], serde_json::Value::Null);
    let (status, error) = call(&server, &ann, Method::GET, "/api/friends?limit=500", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&error, "invalid_limit");
});
