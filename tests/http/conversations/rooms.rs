//! Rooms: public by name or private by secret id, full rooms, and the conversation list
//! ordered by latest activity.

use super::*;

both_backends!(rooms_are_public_by_name_or_private_by_secret, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let cat = person(&server, "cat").await;

    let (status, lobby) = call(
        &server,
        &ann,
        Method::POST,
        "/api/rooms",
        Some(json!({"name": "Lobby"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(lobby["kind"], "room");
    assert_eq!(lobby["name"], "lobby");
    assert_eq!(lobby["members"].as_array().unwrap().len(), 1);
    let (status, error) = call(
        &server,
        &bob,
        Method::POST,
        "/api/rooms",
        Some(json!({"name": "lobby"})),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_error(&error, "room_exists");
    for bad in ["", "has space", "x".repeat(33).as_str(), "under_score"] {
        let (status, error) = call(
            &server,
            &ann,
            Method::POST,
            "/api/rooms",
            Some(json!({"name": bad})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
        assert_error(&error, "invalid_room_name");
    }

    let (status, secret) = call(&server, &ann, Method::POST, "/api/rooms", Some(json!({}))).await;
    assert_eq!(status, StatusCode::CREATED);
    let secret_id = secret["id"].as_str().unwrap().to_owned();
    assert_eq!(secret_id.len(), 64);
    assert!(secret_id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(secret["name"], Value::Null);

    let ann_mark = server.inbox_mark(&ann.id).await;
    let bob_mark = server.inbox_mark(&bob.id).await;
    let (status, joined) = call(&server, &bob, Method::POST, "/api/rooms/lobby/join", None).await;
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
    let (status, _) = call(&server, &bob, Method::POST, "/api/rooms/lobby/join", None).await;
    assert_eq!(status, StatusCode::OK, "joining twice is harmless");
    assert!(
        server.events_since(&ann.id, &ann_mark).await.is_empty(),
        "and announces nothing"
    );

    let (status, _) = call(
        &server,
        &cat,
        Method::POST,
        &format!("/api/rooms/{secret_id}/join"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "the secret is the invitation");
    let (status, _) = call(
        &server,
        &cat,
        Method::POST,
        &format!("/api/rooms/{}/join", "0".repeat(64)),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = call(&server, &cat, Method::POST, "/api/rooms/nowhere/join", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let lobby_id = lobby["id"].as_str().unwrap();
    let (status, _) = call(
        &server,
        &cat,
        Method::GET,
        &format!("/api/conversations/{lobby_id}"),
        None,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "non-members cannot see a room"
    );
    let (status, _) = call(
        &server,
        &cat,
        Method::GET,
        &format!("/api/conversations/{lobby_id}/messages"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(&server, &cat, lobby_id, "hi", "c1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let ann_mark = server.inbox_mark(&ann.id).await;
    let bob_mark = server.inbox_mark(&bob.id).await;
    let (status, _) = call(
        &server,
        &bob,
        Method::POST,
        &format!("/api/conversations/{lobby_id}/leave"),
        None,
    )
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
    let (status, _) = call(
        &server,
        &bob,
        Method::GET,
        &format!("/api/conversations/{lobby_id}"),
        None,
    )
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
        let (status, _) = call(
            &server,
            &ann,
            Method::POST,
            "/api/rooms",
            Some(json!({"name": "tiny"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, _) = call(&server, &bob, Method::POST, "/api/rooms/tiny/join", None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, error) = call(&server, &cat, Method::POST, "/api/rooms/tiny/join", None).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_error(&error, "room_full");
        let (status, _) = call(&server, &bob, Method::POST, "/api/rooms/tiny/join", None).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "a member joining again is still a member"
        );
        let (_, list) = call(&server, &cat, Method::GET, "/api/conversations", None).await;
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
    let (_, list) = call(&server, &ann, Method::GET, "/api/conversations", None).await;
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
    private_rooms_have_titles_and_every_room_a_topic,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let cat = person(&server, "cat").await;

        let (status, club) = call(
            &server,
            &ann,
            Method::POST,
            "/api/rooms",
            Some(json!({"title": "  Book club ", "topic": "one chapter a week"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(club["title"], "Book club");
        assert_eq!(club["topic"], "one chapter a week");
        assert_eq!(club["member_count"], 1);
        let club_id = club["id"].as_str().unwrap().to_owned();
        let (status, error) = call(
            &server,
            &ann,
            Method::POST,
            "/api/rooms",
            Some(json!({"name": "lobby", "title": "Lobby"})),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "a public room has its name"
        );
        assert_error(&error, "invalid_title");

        let (status, _) = call(
            &server,
            &bob,
            Method::POST,
            &format!("/api/rooms/{club_id}/join"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let path = format!("/api/conversations/{club_id}");
        let (status, error) = call(
            &server,
            &cat,
            Method::PATCH,
            &path,
            Some(json!({"topic": "mine"})),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "only members");
        assert_error(&error, "not_found");

        // A member renames it; everyone in it hears, the renamer's tabs too.
        let ann_mark = server.inbox_mark(&ann.id).await;
        let (status, renamed) = call(
            &server,
            &bob,
            Method::PATCH,
            &path,
            Some(json!({"title": "Readers"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(renamed["title"], "Readers");
        assert_eq!(
            renamed["topic"], "one chapter a week",
            "a field left out stays"
        );
        assert_eq!(renamed["member_count"], 2);
        let to_ann = server.events_since(&ann.id, &ann_mark).await;
        assert_eq!(kinds(&to_ann), ["conversation_updated"]);
        assert_eq!(data(&to_ann[0])["title"], "Readers");
        assert_eq!(data(&to_ann[0])["by"]["username"], "bob");
        let (_, listed) = call(&server, &ann, Method::GET, "/api/conversations", None).await;
        assert_eq!(listed["conversations"][0]["title"], "Readers");

        // null and "" clear; the same values again change and announce nothing.
        let (status, cleared) = call(
            &server,
            &ann,
            Method::PATCH,
            &path,
            Some(json!({"topic": null})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(cleared["topic"], Value::Null);
        let ann_mark = server.inbox_mark(&ann.id).await;
        let (status, _) = call(
            &server,
            &bob,
            Method::PATCH,
            &path,
            Some(json!({"topic": ""})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(server.events_since(&ann.id, &ann_mark).await.is_empty());

        // Bad input is refused and changes nothing.
        for (body, code) in [
            (json!({"title": "x".repeat(65)}), "invalid_title"),
            (json!({"title": "two\nlines"}), "invalid_title"),
            (json!({"title": "sneaky\u{202E}txt"}), "invalid_title"),
            (json!({"topic": "t".repeat(201)}), "invalid_topic"),
            (json!({"colour": "red"}), "invalid_json"),
        ] {
            let (status, error) =
                call(&server, &ann, Method::PATCH, &path, Some(body.clone())).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_error(&error, code);
        }
        let (_, unchanged) = call(&server, &ann, Method::GET, &path, None).await;
        assert_eq!(unchanged["title"], "Readers");

        // A public room takes a topic but not a title; a direct conversation neither.
        let lobby = room(&server, &ann, "lobby", &[]).await;
        let lobby_path = format!("/api/conversations/{lobby}");
        let (status, error) = call(
            &server,
            &ann,
            Method::PATCH,
            &lobby_path,
            Some(json!({"title": "Lobby"})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "invalid_title");
        let (status, topic) = call(
            &server,
            &ann,
            Method::PATCH,
            &lobby_path,
            Some(json!({"topic": "say hi"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(topic["topic"], "say hi");
        befriend(&server, &ann, &cat).await;
        let (_, direct) = open_direct(&server, &ann, "cat").await;
        let direct_path = format!("/api/conversations/{}", direct["id"].as_str().unwrap());
        let (status, error) = call(
            &server,
            &ann,
            Method::PATCH,
            &direct_path,
            Some(json!({"topic": "us"})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "not_a_room");
    }
);

both_backends!(
    the_directory_lists_public_rooms_biggest_first_and_finds_by_name_or_topic,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let cat = person(&server, "cat").await;
        room(&server, &ann, "rust", &[&bob, &cat]).await;
        let cooking = room(&server, &bob, "cooking", &[&cat]).await;
        room(&server, &cat, "quiet", &[]).await;
        let (status, _) = call(
            &server,
            &bob,
            Method::PATCH,
            &format!("/api/conversations/{cooking}"),
            Some(json!({"topic": "Recipes and 100% butter"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = call(
            &server,
            &ann,
            Method::POST,
            "/api/rooms",
            Some(json!({"title": "Secret"})),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);

        let names = |answer: &Value| -> Vec<String> {
            answer["rooms"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let (status, all) = call(&server, &ann, Method::GET, "/api/rooms", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            names(&all),
            ["rust", "cooking", "quiet"],
            "biggest first; private rooms never"
        );
        assert_eq!(all["has_more"], false);
        let rust = &all["rooms"][0];
        assert_eq!(rust["member_count"], 3);
        assert_eq!(rust["joined"], true);
        assert_eq!(all["rooms"][2]["joined"], false, "ann is not in quiet");
        assert!(rust["last_activity_at"].as_str().unwrap().ends_with('Z'));

        let (_, found) = call(&server, &ann, Method::GET, "/api/rooms?q=RECIPES", None).await;
        assert_eq!(names(&found), ["cooking"], "topics match too, in any case");
        let (_, literal) = call(&server, &ann, Method::GET, "/api/rooms?q=0%25", None).await;
        assert_eq!(
            names(&literal),
            ["cooking"],
            "% is a character, not a wildcard"
        );
        let (_, none) = call(&server, &ann, Method::GET, "/api/rooms?q=u_t", None).await;
        assert_eq!(names(&none), Vec::<String>::new(), "_ is a character too");
        let (_, first) = call(&server, &ann, Method::GET, "/api/rooms?limit=2", None).await;
        assert_eq!(names(&first), ["rust", "cooking"]);
        assert_eq!(first["has_more"], true);
        let (_, rest) = call(
            &server,
            &ann,
            Method::GET,
            "/api/rooms?limit=2&offset=2",
            None,
        )
        .await;
        assert_eq!(names(&rest), ["quiet"]);
        assert_eq!(rest["has_more"], false);

        // Leaving counts too.
        let (status, _) = call(
            &server,
            &cat,
            Method::POST,
            &format!("/api/conversations/{cooking}/leave"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, after) = call(&server, &ann, Method::GET, "/api/rooms?q=cooking", None).await;
        assert_eq!(after["rooms"][0]["member_count"], 1);

        for (query, code) in [
            ("limit=0", "invalid_limit"),
            ("limit=101", "invalid_limit"),
            ("offset=-1", "invalid_offset"),
            ("offset=x", "invalid_offset"),
        ] {
            let (status, error) = call(
                &server,
                &ann,
                Method::GET,
                &format!("/api/rooms?{query}"),
                None,
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            assert_error(&error, code);
        }
        let long = "q".repeat(65);
        let (status, error) = call(
            &server,
            &ann,
            Method::GET,
            &format!("/api/rooms?q={long}"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "invalid_query");
    }
);

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
            let (status, page) = call(&server, &ann, Method::GET, &path, None).await;
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
        let (_, whole) = call(&server, &ann, Method::GET, "/api/conversations", None).await;
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
            let (status, error) = call(
                &server,
                &ann,
                Method::GET,
                &format!("/api/conversations?{bad}"),
                None,
            )
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
