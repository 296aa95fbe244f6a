//! Streams: a session needed, delivery to the right users and tabs, exact resume, resync,
//! heartbeats, streams that end by themselves, a bounded number per user.

use super::*;

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

        let (status, message) = server
            .by(&ann)
            .post(
                &format!("/api/conversations/{id}/messages"),
                json!({"body": "hi", "client_id": "c1"}),
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
