//! Direct conversations: one per pair of friends (also when opened at once), never left,
//! and what blocks and unfriending stop: messages, edits, typing, read marks, nudges.

use super::*;

both_backends!(
    direct_conversations_are_one_per_pair_of_friends,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;

        let (status, error) = open_direct(&server, &ann, "bob").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&error, "not_friends");
        befriend(&server, &ann, &bob).await;

        let bob_mark = server.inbox_mark(&bob.id).await;
        let (status, conversation) = open_direct(&server, &ann, "bob").await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(conversation["kind"], "direct");
        assert_eq!(conversation["name"], Value::Null);
        assert_eq!(conversation["unread_count"], 0);
        assert_eq!(conversation["last_message"], Value::Null);
        let members: BTreeSet<&str> = conversation["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["username"].as_str().unwrap())
            .collect();
        assert_eq!(members, BTreeSet::from(["ann", "bob"]));
        let events = server.events_since(&bob.id, &bob_mark).await;
        assert_eq!(kinds(&events), ["conversation_added"]);
        assert_eq!(data(&events[0])["conversation"]["id"], conversation["id"]);

        let (status, again) = open_direct(&server, &bob, "ANN").await;
        assert_eq!(
            status,
            StatusCode::OK,
            "the same conversation from the other side"
        );
        assert_eq!(again["id"], conversation["id"]);

        let (status, error) = open_direct(&server, &ann, "ann").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "invalid_target");
        let (status, _) = open_direct(&server, &ann, "nobody").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    racing_opens_of_a_direct_conversation_create_one,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        befriend(&server, &ann, &bob).await;
        let opens = (0..8).map(|i| {
            let (who, with) = if i % 2 == 0 {
                (&ann, "bob")
            } else {
                (&bob, "ann")
            };
            call(
                &server,
                who,
                Method::POST,
                "/api/conversations/direct",
                Some(json!({"username": with})),
            )
        });
        let results = futures::future::join_all(opens).await;
        let ids: BTreeSet<String> = results
            .iter()
            .map(|(_, c)| c["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids.len(), 1);
        let created = results
            .iter()
            .filter(|(s, _)| *s == StatusCode::CREATED)
            .count();
        assert_eq!(created, 1, "exactly one open created it");
        let rows = server
            .ports
            .sql
            .query("SELECT count(*) FROM conversations", &[])
            .await
            .unwrap();
        assert_eq!(rows[0].get::<i64>(0).unwrap(), 1);
    }
);

both_backends!(direct_conversations_cannot_be_left, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    befriend(&server, &ann, &bob).await;
    let (_, direct) = open_direct(&server, &ann, "bob").await;
    let (status, error) = server
        .by(&ann)
        .post(
            &format!(
                "/api/conversations/{}/leave",
                direct["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&error, "not_a_room");
});

both_backends!(blocks_and_unfriending_stop_direct_messages, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    befriend(&server, &ann, &bob).await;
    let (_, direct) = open_direct(&server, &ann, "bob").await;
    let id = direct["id"].as_str().unwrap().to_owned();
    let (status, _) = send(&server, &bob, &id, "hi", "c1").await;
    assert_eq!(status, StatusCode::CREATED);

    server.by(&ann).put("/api/blocks/bob", None).await;
    let (status, error) = send(&server, &bob, &id, "hello?", "c2").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&error, "blocked");
    let (status, error) = send(&server, &ann, &id, "bye", "c3").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the blocker cannot write either"
    );
    assert_error(&error, "blocked");

    server.by(&ann).delete("/api/blocks/bob", None).await;
    let (status, error) = send(&server, &bob, &id, "friends?", "c4").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&error, "not_friends");
    let (status, page) = server
        .by(&bob)
        .get(&format!("/api/conversations/{id}/messages"))
        .await;
    assert_eq!(status, StatusCode::OK, "history stays readable");
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
});

both_backends!(
    after_a_block_neither_side_edits_types_or_marks_read_in_the_direct_conversation,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        befriend(&server, &ann, &bob).await;
        let (_, direct) = open_direct(&server, &ann, "bob").await;
        let id = direct["id"].as_str().unwrap().to_owned();
        let (_, sent) = send(&server, &bob, &id, "hi", "c1").await;
        let message_id = sent["id"].as_str().unwrap().to_owned();
        let edit_path = format!("/api/conversations/{id}/messages/{message_id}");
        let typing_path = format!("/api/conversations/{id}/typing");
        let read_path = format!("/api/conversations/{id}/read");

        // Before the block all three work.
        let (status, _) = server
            .by(&bob)
            .patch(&edit_path, json!({"body": "hi!"}))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = server
            .by(&bob)
            .post(&typing_path, json!({"typing": true}))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);

        server.by(&ann).put("/api/blocks/bob", None).await;
        let mut ann_stream = server.events(&ann.token, None).await;
        for (who, method, path, body) in [
            (
                &bob,
                Method::PATCH,
                &edit_path,
                json!({"body": "still here"}),
            ),
            (&bob, Method::POST, &typing_path, json!({"typing": true})),
            (&bob, Method::POST, &read_path, json!({"seq": 1})),
            (&ann, Method::POST, &typing_path, json!({"typing": true})),
            (&ann, Method::POST, &read_path, json!({"seq": 1})),
        ] {
            let (status, error) = call(&server, who, method.clone(), path, Some(body)).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "{method} {path} by {}",
                who.username
            );
            assert_error(&error, "blocked");
        }
        let (_, history) = server
            .by(&ann)
            .get(&format!("/api/conversations/{id}/messages"))
            .await;
        assert_eq!(
            history["messages"][0]["body"], "hi!",
            "the refused edit changed nothing"
        );
        assert!(
            ann_stream
                .drain_events(std::time::Duration::from_millis(500))
                .await
                .is_empty(),
            "nothing refused reached the blocker"
        );
        let (status, _) = server.by(&bob).delete(&edit_path, None).await;
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "taking one's own words back stays possible"
        );
    }
);

both_backends!(
    a_nudge_reaches_the_other_friend_only_and_is_limited,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        befriend(&server, &ann, &bob).await;
        let (_, direct) = open_direct(&server, &ann, "bob").await;
        let id = direct["id"].as_str().unwrap().to_owned();
        let nudge_path = format!("/api/conversations/{id}/nudge");
        let (ann_mark, bob_mark) = (
            server.inbox_mark(&ann.id).await,
            server.inbox_mark(&bob.id).await,
        );

        let (status, _) = server.by(&ann).post(&nudge_path, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let events = server.events_since(&bob.id, &bob_mark).await;
        assert_eq!(kinds(&events), ["nudge"]);
        let data = &data(&events[0]);
        assert_eq!(data["conversation_id"], id.as_str());
        assert_eq!(data["user_id"], ann.id.as_str());
        assert_eq!(data["username"], "ann");
        assert!(data["sent_at"].is_string());
        assert!(
            server.events_since(&ann.id, &ann_mark).await.is_empty(),
            "not to the nudger"
        );

        let mut limited = false;
        for _ in 0..4 {
            let (status, _) = server.by(&ann).post(&nudge_path, None).await;
            limited |= status == StatusCode::TOO_MANY_REQUESTS;
        }
        assert!(limited, "nudges are rate limited");

        let room_id = room(&server, &ann, "shake", &[&bob]).await;
        let (status, error) = server
            .by(&bob)
            .post(&format!("/api/conversations/{room_id}/nudge"), None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "not_direct");

        let carl = person(&server, "carl").await;
        let (status, error) = server.by(&carl).post(&nudge_path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not a member");
        assert_error(&error, "not_found");

        let (status, _) = server.by(&bob).put("/api/blocks/ann", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, error) = server.by(&bob).post(&nudge_path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&error, "blocked");
    }
);

both_backends!(
    a_member_mutes_or_hides_a_conversation_for_themselves_alone,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        befriend(&server, &ann, &bob).await;
        let (_, direct) = open_direct(&server, &ann, "bob").await;
        let id = direct["id"].as_str().unwrap().to_owned();
        assert_eq!(
            (direct["muted"].clone(), direct["hidden"].clone()),
            (json!(false), json!(false))
        );
        send(&server, &bob, &id, "one", "b1").await;
        let path = format!("/api/conversations/{id}/preferences");
        let listed = |list: &Value| -> Vec<String> {
            list["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect()
        };

        let ann_mark = server.inbox_mark(&ann.id).await;
        let bob_mark = server.inbox_mark(&bob.id).await;
        let (status, muted) = server.by(&ann).put(&path, json!({"muted": true})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(muted["muted"], true);
        let to_ann = server.events_since(&ann.id, &ann_mark).await;
        assert_eq!(kinds(&to_ann), ["preferences"]);
        assert_eq!(
            data(&to_ann[0]),
            json!({"conversation_id": id, "muted": true, "hidden": false})
        );
        assert!(
            server.events_since(&bob.id, &bob_mark).await.is_empty(),
            "Bob never knows"
        );
        let (_, bobs) = server
            .by(&bob)
            .get(&format!("/api/conversations/{id}"))
            .await;
        assert_eq!(bobs["muted"], false, "muting is Ann's alone");

        // Hidden: out of Ann's list, still hers by id, back with the next message.
        let (status, hidden) = server.by(&ann).put(&path, json!({"hidden": true})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (hidden["hidden"].clone(), hidden["muted"].clone()),
            (json!(true), json!(true)),
            "muted stays"
        );
        let (_, list) = server.by(&ann).get("/api/conversations").await;
        assert!(!listed(&list).contains(&id));
        let (_, list) = server.by(&bob).get("/api/conversations").await;
        assert!(listed(&list).contains(&id), "Bob still has it");
        let (status, _) = server
            .by(&ann)
            .get(&format!("/api/conversations/{id}"))
            .await;
        assert_eq!(status, StatusCode::OK);
        send(&server, &bob, &id, "two", "b2").await;
        let (_, list) = server.by(&ann).get("/api/conversations").await;
        let back = list["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id.as_str())
            .expect("back in the list");
        assert_eq!(back["hidden"], false);
        assert_eq!(back["unread_count"], 2);

        // Rooms are left, not hidden; bad bodies change nothing.
        let lobby = room(&server, &ann, "lobby", &[]).await;
        let (status, error) = server
            .by(&ann)
            .put(
                &format!("/api/conversations/{lobby}/preferences"),
                json!({"hidden": true}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "not_direct");
        let (status, muted_room) = server
            .by(&ann)
            .put(
                &format!("/api/conversations/{lobby}/preferences"),
                json!({"muted": true}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(muted_room["muted"], true);
        for body in [json!({"muted": "yes"}), json!({"loud": true})] {
            let (status, error) = server.by(&ann).put(&path, body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST);
            assert_error(&error, "invalid_json");
        }
        let cat = person(&server, "cat").await;
        let (status, _) = server.by(&cat).put(&path, json!({"muted": true})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "only members");
    }
);
