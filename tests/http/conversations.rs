//! The conversations component over HTTP: direct conversations, rooms, messages with
//! idempotent sends and gapless seqs under concurrency, history pages, edits, tombstones,
//! typing, read marks and unread counts, with the events each appends, on both backends.

use std::collections::BTreeSet;

use chat_core::{ports::EventKind, settings::Settings};
use chat_tests::{Person, TestServer, assert_error, befriend, both_backends, call, person, room};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn kinds(events: &[chat_core::ports::Delivered]) -> Vec<EventKind> {
    events.iter().map(|d| d.event.kind).collect()
}

async fn send(
    server: &TestServer,
    who: &Person,
    conversation: &str,
    body: &str,
    client_id: &str,
) -> (StatusCode, Value) {
    call(
        server,
        who,
        Method::POST,
        &format!("/api/conversations/{conversation}/messages"),
        Some(json!({"body": body, "client_id": client_id})),
    )
    .await
}

async fn open_direct(server: &TestServer, who: &Person, with: &str) -> (StatusCode, Value) {
    call(
        server,
        who,
        Method::POST,
        "/api/conversations/direct",
        Some(json!({"username": with})),
    )
    .await
}

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
        assert_eq!(kinds(&events), [EventKind::ConversationAdded]);
        assert_eq!(
            events[0].event.data["conversation"]["id"],
            conversation["id"]
        );

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
    assert_eq!(kinds(&to_ann), [EventKind::MemberJoined]);
    assert_eq!(to_ann[0].event.data["user"]["username"], "bob");
    assert_eq!(
        kinds(&server.events_since(&bob.id, &bob_mark).await),
        [EventKind::ConversationAdded]
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
        [EventKind::MemberLeft]
    );
    assert_eq!(
        kinds(&server.events_since(&bob.id, &bob_mark).await),
        [EventKind::MemberLeft]
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

both_backends!(direct_conversations_cannot_be_left, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    befriend(&server, &ann, &bob).await;
    let (_, direct) = open_direct(&server, &ann, "bob").await;
    let (status, error) = call(
        &server,
        &ann,
        Method::POST,
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

both_backends!(
    messages_are_sent_once_per_client_id_and_reach_every_member,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let id = room(&server, &ann, "general", &[&bob]).await;
        let (ann_mark, bob_mark) = (
            server.inbox_mark(&ann.id).await,
            server.inbox_mark(&bob.id).await,
        );

        let (status, first) = send(&server, &ann, &id, "  hello\nworld  ", "c-1").await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(first["seq"], 1);
        assert_eq!(first["body"], "hello\nworld", "trimmed");
        assert_eq!(first["client_id"], "c-1");
        assert_eq!(first["conversation_id"], id.as_str());
        assert_eq!(first["sender"]["username"], "ann");
        assert_eq!(first["edited_at"], Value::Null);
        assert_eq!(first["deleted"], false);
        assert_eq!(first["id"].as_str().unwrap().len(), 36);

        let (status, retry) = send(&server, &ann, &id, "  hello\nworld  ", "c-1").await;
        assert_eq!(status, StatusCode::OK, "a retry returns the original");
        assert_eq!(retry, first);
        let (_, second) = send(&server, &bob, &id, "hi ann", "c-1").await;
        assert_eq!(second["seq"], 2, "client ids are per sender");

        for (who, mark) in [(&ann, &ann_mark), (&bob, &bob_mark)] {
            let events = server.events_since(&who.id, mark).await;
            assert_eq!(
                kinds(&events),
                [EventKind::Message, EventKind::Message],
                "{}",
                who.username
            );
            assert_eq!(events[0].event.data["message"]["id"], first["id"]);
            assert_eq!(events[0].event.data["conversation_id"], id.as_str());
        }

        for (body, code) in [
            (json!({"body": "", "client_id": "x"}), "invalid_body"),
            (json!({"body": "   ", "client_id": "x"}), "invalid_body"),
            (
                json!({"body": "a".repeat(4001), "client_id": "x"}),
                "invalid_body",
            ),
            (
                json!({"body": "bell\u{7}", "client_id": "x"}),
                "invalid_body",
            ),
            (json!({"body": "ok", "client_id": ""}), "invalid_client_id"),
            (
                json!({"body": "ok", "client_id": "has space"}),
                "invalid_client_id",
            ),
            (json!({"body": "ok"}), "invalid_json"),
        ] {
            let (status, error) = call(
                &server,
                &ann,
                Method::POST,
                &format!("/api/conversations/{id}/messages"),
                Some(body.clone()),
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_error(&error, code);
        }
        let (_, page) = call(
            &server,
            &ann,
            Method::GET,
            &format!("/api/conversations/{id}/messages"),
            None,
        )
        .await;
        assert_eq!(
            page["messages"].as_array().unwrap().len(),
            2,
            "bad sends stored nothing"
        );
    }
);

both_backends!(history_pages_backwards_newest_last, |backend| {
    let settings = Settings {
        messages_burst: 500,
        ..Settings::default()
    };
    let server = TestServer::start_with(backend, settings).await;
    let ann = person(&server, "ann").await;
    let id = room(&server, &ann, "log", &[]).await;
    for i in 1..=120 {
        let (status, _) = send(&server, &ann, &id, &format!("m{i}"), &format!("c{i}")).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let path = |query: &str| format!("/api/conversations/{id}/messages{query}");
    let (status, newest) = call(&server, &ann, Method::GET, &path(""), None).await;
    assert_eq!(status, StatusCode::OK);
    let seqs: Vec<i64> = newest["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (71..=120).collect::<Vec<_>>(),
        "default 50, newest last"
    );
    assert_eq!(newest["has_more"], true);
    let (_, older) = call(
        &server,
        &ann,
        Method::GET,
        &path("?before_seq=71&limit=100"),
        None,
    )
    .await;
    let seqs: Vec<i64> = older["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=70).collect::<Vec<_>>());
    assert_eq!(older["has_more"], false);
    let (_, exact) = call(
        &server,
        &ann,
        Method::GET,
        &path("?before_seq=21&limit=20"),
        None,
    )
    .await;
    assert_eq!(exact["messages"].as_array().unwrap().len(), 20);
    assert_eq!(exact["has_more"], false, "exactly the rest: nothing more");
    for (query, code) in [
        ("?limit=0", "invalid_limit"),
        ("?limit=101", "invalid_limit"),
        ("?limit=-1", "invalid_limit"),
        ("?limit=ten", "invalid_limit"),
        ("?before_seq=0", "invalid_before_seq"),
        ("?before_seq=abc", "invalid_before_seq"),
    ] {
        let (status, error) = call(&server, &ann, Method::GET, &path(query), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_error(&error, code);
    }
});

both_backends!(
    own_messages_can_be_edited_and_deleted_to_a_tombstone,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let id = room(&server, &ann, "edits", &[&bob]).await;
        let (_, message) = send(&server, &ann, &id, "frist", "c1").await;
        let message_path = format!(
            "/api/conversations/{id}/messages/{}",
            message["id"].as_str().unwrap()
        );

        let bob_mark = server.inbox_mark(&bob.id).await;
        let (status, edited) = call(
            &server,
            &ann,
            Method::PATCH,
            &message_path,
            Some(json!({"body": "first"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(edited["body"], "first");
        assert!(edited["edited_at"].is_string());
        assert_eq!(edited["seq"], message["seq"]);
        let (status, error) = call(
            &server,
            &bob,
            Method::PATCH,
            &message_path,
            Some(json!({"body": "hacked"})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&error, "not_author");
        let (status, error) = call(&server, &bob, Method::DELETE, &message_path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&error, "not_author");
        let (status, _) = call(
            &server,
            &ann,
            Method::PATCH,
            &message_path,
            Some(json!({"body": ""})),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let (status, _) = call(&server, &ann, Method::DELETE, &message_path, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = call(&server, &ann, Method::DELETE, &message_path, None).await;
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "deleting a tombstone is harmless"
        );
        let (_, page) = call(
            &server,
            &bob,
            Method::GET,
            &format!("/api/conversations/{id}/messages"),
            None,
        )
        .await;
        let tombstone = &page["messages"][0];
        assert_eq!(tombstone["deleted"], true);
        assert_eq!(tombstone["body"], "");
        assert_eq!(tombstone["seq"], 1, "keeps its place");
        let (status, error) = call(
            &server,
            &ann,
            Method::PATCH,
            &message_path,
            Some(json!({"body": "back"})),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_error(&error, "message_deleted");
        let (status, _) = call(
            &server,
            &ann,
            Method::PATCH,
            &format!("/api/conversations/{id}/messages/nope"),
            Some(json!({"body": "x"})),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let events = server.events_since(&bob.id, &bob_mark).await;
        assert_eq!(
            kinds(&events),
            [EventKind::MessageEdited, EventKind::MessageDeleted]
        );
        assert_eq!(events[1].event.data["message"]["deleted"], true);
    }
);

both_backends!(typing_reaches_the_others_and_expires, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let id = room(&server, &ann, "typing", &[&bob]).await;
    let (ann_mark, bob_mark) = (
        server.inbox_mark(&ann.id).await,
        server.inbox_mark(&bob.id).await,
    );
    let (status, _) = call(
        &server,
        &ann,
        Method::POST,
        &format!("/api/conversations/{id}/typing"),
        Some(json!({"typing": true})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let events = server.events_since(&bob.id, &bob_mark).await;
    assert_eq!(kinds(&events), [EventKind::Typing]);
    let data = &events[0].event.data;
    assert_eq!(data["typing"], true);
    assert_eq!(data["user_id"], ann.id.as_str());
    assert!(data["expires_at"].is_string());
    assert!(
        server.events_since(&ann.id, &ann_mark).await.is_empty(),
        "not to the typist"
    );
    let (_, page) = call(
        &server,
        &bob,
        Method::GET,
        &format!("/api/conversations/{id}/messages"),
        None,
    )
    .await;
    assert!(
        page["messages"].as_array().unwrap().is_empty(),
        "never history"
    );
    let (status, _) = call(
        &server,
        &ann,
        Method::POST,
        &format!("/api/conversations/{id}/typing"),
        Some(json!({"typing": "yes"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut limited = false;
    for _ in 0..15 {
        let (status, _) = call(
            &server,
            &ann,
            Method::POST,
            &format!("/api/conversations/{id}/typing"),
            Some(json!({"typing": true})),
        )
        .await;
        limited |= status == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(limited, "typing is rate limited");
});

both_backends!(read_marks_drive_unread_counts_and_receipts, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let id = room(&server, &ann, "reads", &[&bob]).await;
    for i in 1..=3 {
        send(&server, &ann, &id, &format!("m{i}"), &format!("c{i}")).await;
    }
    let unread = |who: &Person| {
        let server = &server;
        let token = who.token.clone();
        let id = id.clone();
        async move {
            let response = server
                .authed(Method::GET, "/api/conversations", &token)
                .send()
                .await
                .unwrap();
            let list: Value = response.json().await.unwrap();
            let c = list["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == id.as_str())
                .unwrap()
                .clone();
            (c["unread_count"].as_i64().unwrap(), c)
        }
    };
    let (count, conversation) = unread(&bob).await;
    assert_eq!(count, 3);
    assert_eq!(conversation["last_message"]["body"], "m3");
    assert!(
        conversation.get("members").is_none(),
        "rooms in the list carry no members"
    );
    assert_eq!(unread(&ann).await.0, 0, "own messages are not unread");

    let (ann_mark, bob_mark) = (
        server.inbox_mark(&ann.id).await,
        server.inbox_mark(&bob.id).await,
    );
    let (status, _) = call(
        &server,
        &bob,
        Method::POST,
        &format!("/api/conversations/{id}/read"),
        Some(json!({"seq": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(unread(&bob).await.0, 1);
    let to_ann = server.events_since(&ann.id, &ann_mark).await;
    assert_eq!(kinds(&to_ann), [EventKind::Read]);
    assert_eq!(
        to_ann[0].event.data,
        json!({"conversation_id": id, "user_id": bob.id, "seq": 2})
    );
    assert_eq!(
        kinds(&server.events_since(&bob.id, &bob_mark).await),
        [EventKind::Read],
        "own tabs too"
    );

    let (status, _) = call(
        &server,
        &bob,
        Method::POST,
        &format!("/api/conversations/{id}/read"),
        Some(json!({"seq": 1})),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "moving back is ignored");
    assert_eq!(unread(&bob).await.0, 1);
    let (_, one) = call(
        &server,
        &ann,
        Method::GET,
        &format!("/api/conversations/{id}"),
        None,
    )
    .await;
    assert_eq!(
        one["read_marks"],
        json!({ ann.id.as_str(): 3, bob.id.as_str(): 2 }),
        "one conversation carries every member's read mark (the sender read their own)"
    );
    call(
        &server,
        &bob,
        Method::POST,
        &format!("/api/conversations/{id}/read"),
        Some(json!({"seq": 999})),
    )
    .await;
    assert_eq!(unread(&bob).await.0, 0, "clamped to the newest message");
    let (status, error) = call(
        &server,
        &bob,
        Method::POST,
        &format!("/api/conversations/{id}/read"),
        Some(json!({"seq": -1})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&error, "invalid_seq");
});

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

both_backends!(blocks_and_unfriending_stop_direct_messages, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    befriend(&server, &ann, &bob).await;
    let (_, direct) = open_direct(&server, &ann, "bob").await;
    let id = direct["id"].as_str().unwrap().to_owned();
    let (status, _) = send(&server, &bob, &id, "hi", "c1").await;
    assert_eq!(status, StatusCode::CREATED);

    call(&server, &ann, Method::PUT, "/api/blocks/bob", None).await;
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

    call(&server, &ann, Method::DELETE, "/api/blocks/bob", None).await;
    let (status, error) = send(&server, &bob, &id, "friends?", "c4").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&error, "not_friends");
    let (status, page) = call(
        &server,
        &bob,
        Method::GET,
        &format!("/api/conversations/{id}/messages"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "history stays readable");
    assert_eq!(page["messages"].as_array().unwrap().len(), 1);
});

both_backends!(sending_is_rate_limited_per_user, |backend| {
    let settings = Settings {
        messages_burst: 3,
        messages_per_second: 0.5,
        ..Settings::default()
    };
    let server = TestServer::start_with(backend, settings).await;
    let ann = person(&server, "ann").await;
    let id = room(&server, &ann, "spam", &[]).await;
    for i in 0..3 {
        let (status, _) = send(&server, &ann, &id, "x", &format!("c{i}")).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let response = server
        .authed(
            Method::POST,
            &format!("/api/conversations/{id}/messages"),
            &ann.token,
        )
        .json(&json!({"body": "x", "client_id": "c9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let (status, _) = send(&server, &ann, &id, "x", "c0").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a retry of a stored message is not limited"
    );
});

both_backends!(
    concurrent_senders_get_gapless_seqs_and_retries_store_once,
    |backend| {
        let settings = Settings {
            messages_burst: 10_000,
            signups_per_ip_per_hour: 100,
            ..Settings::default()
        };
        let server = TestServer::start_with(backend, settings).await;
        let mut senders = Vec::new();
        for i in 0..8 {
            senders.push(person(&server, &format!("sender{i}")).await);
        }
        let refs: Vec<&Person> = senders.iter().skip(1).collect();
        let id = room(&server, &senders[0], "busy", &refs).await;

        let mut tasks = tokio::task::JoinSet::new();
        for sender in &senders {
            let (client, url, token) = (
                server.client.clone(),
                server.url(&format!("/api/conversations/{id}/messages")),
                sender.token.clone(),
            );
            let name = sender.username.clone();
            tasks.spawn(async move {
            for n in 0..200 {
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"body": format!("{name} {n}"), "client_id": format!("{name}-{n}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::CREATED);
            }
        });
        }
        while let Some(result) = tasks.join_next().await {
            result.unwrap();
        }
        let rows = server
            .ports
            .sql
            .query(
                "SELECT seq FROM messages WHERE conversation_id = ?1 ORDER BY seq",
                &[id.as_str().into()],
            )
            .await
            .unwrap();
        let seqs: Vec<i64> = rows.iter().map(|r| r.get(0).unwrap()).collect();
        assert_eq!(
            seqs,
            (1..=1600).collect::<Vec<_>>(),
            "1..1600, no gap, no duplicate"
        );

        let mut retries = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let (client, url, token) = (
                server.client.clone(),
                server.url(&format!("/api/conversations/{id}/messages")),
                senders[0].token.clone(),
            );
            retries.spawn(async move {
                let response = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&json!({"body": "once", "client_id": "same-key"}))
                    .send()
                    .await
                    .unwrap();
                let status = response.status();
                let body: Value = response.json().await.unwrap();
                (status, body["id"].as_str().unwrap().to_owned())
            });
        }
        let mut outcomes = Vec::new();
        while let Some(result) = retries.join_next().await {
            outcomes.push(result.unwrap());
        }
        let ids: BTreeSet<&String> = outcomes.iter().map(|(_, id)| id).collect();
        assert_eq!(ids.len(), 1, "every retry answers with the same message");
        assert_eq!(
            outcomes
                .iter()
                .filter(|(s, _)| *s == StatusCode::CREATED)
                .count(),
            1
        );
        let stored = server
            .ports
            .sql
            .query(
                "SELECT count(*) FROM messages WHERE client_id = 'same-key'",
                &[],
            )
            .await
            .unwrap();
        assert_eq!(stored[0].get::<i64>(0).unwrap(), 1);
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_during_a_redis_outage_changes_nothing_and_its_retry_delivers_once() {
    let mut server = TestServer::start(chat_tests::Backend::Redis).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let id = room(&server, &ann, "outage", &[&bob]).await;

    server.redis.as_mut().unwrap().kill();
    let (status, error) = send(&server, &ann, &id, "are you there?", "c-outage").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{error}");
    assert_error(&error, "unavailable");
    let stored = server
        .ports
        .sql
        .query("SELECT count(*) FROM messages", &[])
        .await
        .unwrap();
    assert_eq!(
        stored[0].get::<i64>(0).unwrap(),
        0,
        "refused before anything was stored"
    );

    server.redis.as_mut().unwrap().restart();
    let bob_mark = server.inbox_mark(&bob.id).await;
    // The client retries; the reconnecting Redis client may need a moment.
    let mut retried = (StatusCode::SERVICE_UNAVAILABLE, Value::Null);
    for _ in 0..50 {
        retried = send(&server, &ann, &id, "are you there?", "c-outage").await;
        if retried.0 != StatusCode::SERVICE_UNAVAILABLE {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(retried.0, StatusCode::CREATED);
    let (again, _) = send(&server, &ann, &id, "are you there?", "c-outage").await;
    assert_eq!(again, StatusCode::OK);
    let events = server.events_since(&bob.id, &bob_mark).await;
    assert_eq!(
        kinds(&events),
        [EventKind::Message],
        "delivered exactly once"
    );
}

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

        let (status, _) = call(&server, &ann, Method::POST, &nudge_path, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let events = server.events_since(&bob.id, &bob_mark).await;
        assert_eq!(kinds(&events), [EventKind::Nudge]);
        let data = &events[0].event.data;
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
            let (status, _) = call(&server, &ann, Method::POST, &nudge_path, None).await;
            limited |= status == StatusCode::TOO_MANY_REQUESTS;
        }
        assert!(limited, "nudges are rate limited");

        let room_id = room(&server, &ann, "shake", &[&bob]).await;
        let (status, error) = call(
            &server,
            &bob,
            Method::POST,
            &format!("/api/conversations/{room_id}/nudge"),
            None,
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "not_direct");

        let carl = person(&server, "carl").await;
        let (status, error) = call(&server, &carl, Method::POST, &nudge_path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "not a member");
        assert_error(&error, "not_found");

        let (status, _) = call(&server, &bob, Method::PUT, "/api/blocks/ann", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, error) = call(&server, &bob, Method::POST, &nudge_path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&error, "blocked");
    }
);

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
        let (status, _) = call(
            &server,
            &bob,
            Method::PATCH,
            &edit_path,
            Some(json!({"body": "hi!"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = call(
            &server,
            &bob,
            Method::POST,
            &typing_path,
            Some(json!({"typing": true})),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);

        call(&server, &ann, Method::PUT, "/api/blocks/bob", None).await;
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
        let (_, history) = call(
            &server,
            &ann,
            Method::GET,
            &format!("/api/conversations/{id}/messages"),
            None,
        )
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
        let (status, _) = call(&server, &bob, Method::DELETE, &edit_path, None).await;
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "taking one's own words back stays possible"
        );
    }
);

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
