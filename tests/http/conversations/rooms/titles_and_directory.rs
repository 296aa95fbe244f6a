//! Private rooms' titles, every room's topic, and the directory of public rooms.

use super::*;

both_backends!(
    private_rooms_have_titles_and_every_room_a_topic,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let cat = person(&server, "cat").await;

        let (status, club) = server
            .by(&ann)
            .post(
                "/api/rooms",
                json!({"title": "  Book club ", "topic": "one chapter a week"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(club["title"], "Book club");
        assert_eq!(club["topic"], "one chapter a week");
        assert_eq!(club["member_count"], 1);
        let club_id = club["id"].as_str().unwrap().to_owned();
        let (status, error) = server
            .by(&ann)
            .post("/api/rooms", json!({"name": "lobby", "title": "Lobby"}))
            .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "a public room has its name"
        );
        assert_error(&error, "invalid_title");

        let (status, _) = server
            .by(&bob)
            .post(&format!("/api/rooms/{club_id}/join"), None)
            .await;
        assert_eq!(status, StatusCode::OK);
        let path = format!("/api/conversations/{club_id}");
        let (status, error) = server.by(&cat).patch(&path, json!({"topic": "mine"})).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "only members");
        assert_error(&error, "not_found");

        // A member renames it; everyone in it hears, the renamer's tabs too.
        let ann_mark = server.inbox_mark(&ann.id).await;
        let (status, renamed) = server
            .by(&bob)
            .patch(&path, json!({"title": "Readers"}))
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
        let (_, listed) = server.by(&ann).get("/api/conversations").await;
        assert_eq!(listed["conversations"][0]["title"], "Readers");

        // null and "" clear; the same values again change and announce nothing.
        let (status, cleared) = server.by(&ann).patch(&path, json!({"topic": null})).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(cleared["topic"], Value::Null);
        let ann_mark = server.inbox_mark(&ann.id).await;
        let (status, _) = server.by(&bob).patch(&path, json!({"topic": ""})).await;
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
            let (status, error) = server.by(&ann).patch(&path, body.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_error(&error, code);
        }
        let (_, unchanged) = server.by(&ann).get(&path).await;
        assert_eq!(unchanged["title"], "Readers");

        // A public room takes a topic but not a title; a direct conversation neither.
        let lobby = room(&server, &ann, "lobby", &[]).await;
        let lobby_path = format!("/api/conversations/{lobby}");
        let (status, error) = server
            .by(&ann)
            .patch(&lobby_path, json!({"title": "Lobby"}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "invalid_title");
        let (status, topic) = server
            .by(&ann)
            .patch(&lobby_path, json!({"topic": "say hi"}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(topic["topic"], "say hi");
        befriend(&server, &ann, &cat).await;
        let (_, direct) = open_direct(&server, &ann, "cat").await;
        let direct_path = format!("/api/conversations/{}", direct["id"].as_str().unwrap());
        let (status, error) = server
            .by(&ann)
            .patch(&direct_path, json!({"topic": "us"}))
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
        let (status, _) = server
            .by(&bob)
            .patch(
                &format!("/api/conversations/{cooking}"),
                json!({"topic": "Recipes and 100% butter"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = server
            .by(&ann)
            .post("/api/rooms", json!({"title": "Secret"}))
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
        let (status, all) = server.by(&ann).get("/api/rooms").await;
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

        let (_, found) = server.by(&ann).get("/api/rooms?q=RECIPES").await;
        assert_eq!(names(&found), ["cooking"], "topics match too, in any case");
        let (_, literal) = server.by(&ann).get("/api/rooms?q=0%25").await;
        assert_eq!(
            names(&literal),
            ["cooking"],
            "% is a character, not a wildcard"
        );
        let (_, none) = server.by(&ann).get("/api/rooms?q=u_t").await;
        assert_eq!(names(&none), Vec::<String>::new(), "_ is a character too");
        let (_, first) = server.by(&ann).get("/api/rooms?limit=2").await;
        assert_eq!(names(&first), ["rust", "cooking"]);
        assert_eq!(first["has_more"], true);
        let (_, rest) = server.by(&ann).get("/api/rooms?limit=2&offset=2").await;
        assert_eq!(names(&rest), ["quiet"]);
        assert_eq!(rest["has_more"], false);

        // Leaving counts too.
        let (status, _) = server
            .by(&cat)
            .post(&format!("/api/conversations/{cooking}/leave"), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, after) = server.by(&ann).get("/api/rooms?q=cooking").await;
        assert_eq!(after["rooms"][0]["member_count"], 1);

        for (query, code) in [
            ("limit=0", "invalid_limit"),
            ("limit=101", "invalid_limit"),
            ("offset=-1", "invalid_offset"),
            ("offset=x", "invalid_offset"),
        ] {
            let (status, error) = server.by(&ann).get(&format!("/api/rooms?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
            assert_error(&error, code);
        }
        let long = "q".repeat(65);
        let (status, error) = server.by(&ann).get(&format!("/api/rooms?q={long}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "invalid_query");
    }
);
