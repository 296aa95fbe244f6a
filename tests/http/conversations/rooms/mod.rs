//! Rooms: public by name or private by secret id, full rooms, and the conversation list
//! ordered by latest activity.

mod titles_and_directory;

use super::*;

both_backends!(rooms_are_public_by_name_or_private_by_secret, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let cat = person(&server, "cat").await;

    let (status, lobby) = server
        .by(&ann)
        .post("/api/rooms", json!({"name": "Lobby"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(lobby["kind"], "room");
    assert_eq!(lobby["name"], "lobby");
    assert_eq!(lobby["members"].as_array().unwrap().len(), 1);
    let (status, error) = server
        .by(&bob)
        .post("/api/rooms", json!({"name": "lobby"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&error, "room_exists");
    for bad in ["", "has space", "x".repeat(33).as_str(), "under_score"] {
        let (status, error) = server
            .by(&ann)
            .post("/api/rooms", json!({"name": bad}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_error(&error, "invalid_room_name");
    }

    let (status, secret) = server.by(&ann).post("/api/rooms", json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    let secret_id = secret["id"].as_str().unwrap().to_owned();
    assert_eq!(secret_id.len(), 64);
    assert!(secret_id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(secret["name"], Value::Null);

    let ann_mark = server.inbox_mark(&ann.id).await;
    let bob_mark = server.inbox_mark(&bob.id).await;
    let (status, joined) = server.by(&bob).post("/api/rooms/lobby/join", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(joined["members"].as_array().unwrap().len(), 2);
    let to_ann = server.events_since(&ann.id, &ann_mark).await;
    assert_eq!(kinds(&to_ann), ["member_joined"]);
    assert_eq!(data(&to_ann[0])["user"]["username"], "bob");
    assert_eq!(
        kinds(&server.events_since(&bob.id, &bob_mark).await),
        ["conversation_added"]
    );
    let ann_mark = server.inbox_mark(&ann.id).await;
    let (status, _) = server.by(&bob).post("/api/rooms/lobby/join", None).await;
    assert_eq!(status, StatusCode::OK, "joining twice is harmless");
    assert!(
        server.events_since(&ann.id, &ann_mark).await.is_empty(),
        "and announces nothing"
    );

    let (status, _) = server
        .by(&cat)
        .post(&format!("/api/rooms/{secret_id}/join"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "the secret is the invitation");
    let (status, _) = server
        .by(&cat)
        .post(&format!("/api/rooms/{}/join", "0".repeat(64)), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = server.by(&cat).post("/api/rooms/nowhere/join", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let lobby_id = lobby["id"].as_str().unwrap();
    let (status, _) = server
        .by(&cat)
        .get(&format!("/api/conversations/{lobby_id}"))
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "non-members cannot see a room"
    );
    let (status, _) = server
        .by(&cat)
        .get(&format!("/api/conversations/{lobby_id}/messages"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&server, &cat, lobby_id, "hi", "c1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let ann_mark = server.inbox_mark(&ann.id).await;
    let bob_mark = server.inbox_mark(&bob.id).await;
    let (status, _) = server
        .by(&bob)
        .post(&format!("/api/conversations/{lobby_id}/leave"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        kinds(&server.events_since(&ann.id, &ann_mark).await),
        ["member_left"]
    );
    assert_eq!(
        kinds(&server.events_since(&bob.id, &bob_mark).await),
        ["member_left"]
    );
    let (status, _) = server
        .by(&bob)
        .get(&format!("/api/conversations/{lobby_id}"))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "gone after leaving");
});

both_backends!(
    a_full_room_refuses_new_members_but_not_old_ones,
    |backend| {
        let settings = Settings {
            room_members_max: 2,
            ..Settings::default()
        };
        let server = TestServer::start_with(backend, settings).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let cat = person(&server, "cat").await;
        let (status, _) = server
            .by(&ann)
            .post("/api/rooms", json!({"name": "tiny"}))
            .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, _) = server.by(&bob).post("/api/rooms/tiny/join", None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, error) = server.by(&cat).post("/api/rooms/tiny/join", None).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_error(&error, "room_full");
        let (status, _) = server.by(&bob).post("/api/rooms/tiny/join", None).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a member joining again is still a member"
        );
        let (_, list) = server.by(&cat).get("/api/conversations").await;
        assert!(
            list["conversations"].as_array().unwrap().is_empty(),
            "cat is not in it"
        );
    }
);

both_backends!(conversations_are_listed_by_latest_activity, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    befriend(&server, &ann, &bob).await;
    let first = room(&server, &ann, "first", &[]).await;
    let second = room(&server, &ann, "second", &[]).await;
    let (_, direct) = open_direct(&server, &ann, "bob").await;
    send(&server, &ann, &first, "bump", "c1").await;
    let (_, list) = server.by(&ann).get("/api/conversations").await;
    let ids: Vec<&str> = list["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            first.as_str(),
            direct["id"].as_str().unwrap(),
            second.as_str()
        ]
    );
    let direct_entry = &list["conversations"][1];
    assert_eq!(
        direct_entry["members"].as_array().unwrap().len(),
        2,
        "direct ones name their members"
    );
});

both_backends!(
    the_conversation_list_comes_in_pages_without_gaps_or_repeats,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let mut made = Vec::new();
        for i in 0..5 {
            made.push(room(&server, &ann, &format!("room-{i}"), &[]).await);
        }
        // A message moves a room already read to the top between two reads: the walk neither
        // repeats it nor skips the others.
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for step in 0.. {
            let path = match &cursor {
                Some(c) => format!("/api/conversations?limit=2&before={c}"),
                None => "/api/conversations?limit=2".to_owned(),
            };
            let (status, page) = server.by(&ann).get(&path).await;
            assert_eq!(status, StatusCode::OK);
            let ids: Vec<String> = page["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned())
                .collect();
            assert!(ids.len() <= 2);
            seen.extend(ids);
            if step == 0 {
                send(&server, &ann, &made[3], "back to the top", "c1").await;
            }
            match page["next_before"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        let newest_first: Vec<String> = made.iter().rev().cloned().collect();
        assert_eq!(seen, newest_first, "each once, in the order they were read");
        let (_, whole) = server.by(&ann).get("/api/conversations").await;
        assert_eq!(whole["conversations"][0]["id"], made[3]);
        assert_eq!(whole["conversations"].as_array().unwrap().len(), 5);
        assert_eq!(whole["next_before"], Value::Null);

        for bad in [
            "limit=0",
            "limit=201",
            "limit=x",
            "before=",
            "before=nodot",
            "before=x.id",
        ] {
            let (status, error) = server
                .by(&ann)
                .get(&format!("/api/conversations?{bad}"))
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            let code = if bad.starts_with("limit") {
                "invalid_limit"
            } else {
                "invalid_cursor"
            };
            assert_error(&error, code);
        }
    }
);
