//! Typing indicators and read marks: who gets them, expiry, unread counts and receipts.

use super::*;

both_backends!(typing_reaches_the_others_and_expires, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let id = room(&server, &ann, "typing", &[&bob]).await;
    let (ann_mark, bob_mark) = (
        server.inbox_mark(&ann.id).await,
        server.inbox_mark(&bob.id).await,
    );
    let (status, _) = server
        .by(&ann)
        .post(
            &format!("/api/conversations/{id}/typing"),
            json!({"typing": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let events = server.events_since(&bob.id, &bob_mark).await;
    assert_eq!(kinds(&events), ["typing"]);
    let data = &data(&events[0]);
    assert_eq!(data["typing"], true);
    assert_eq!(data["user_id"], ann.id.as_str());
    assert!(data["expires_at"].is_string());
    assert!(
        server.events_since(&ann.id, &ann_mark).await.is_empty(),
        "not to the typist"
    );
    let (_, page) = server
        .by(&bob)
        .get(&format!("/api/conversations/{id}/messages"))
        .await;
    assert!(
        page["messages"].as_array().unwrap().is_empty(),
        "never history"
    );
    let (status, _) = server
        .by(&ann)
        .post(
            &format!("/api/conversations/{id}/typing"),
            json!({"typing": "yes"}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut limited = false;
    for _ in 0..15 {
        let (status, _) = server
            .by(&ann)
            .post(
                &format!("/api/conversations/{id}/typing"),
                json!({"typing": true}),
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
    let (status, _) = server
        .by(&bob)
        .post(&format!("/api/conversations/{id}/read"), json!({"seq": 2}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(unread(&bob).await.0, 1);
    let to_ann = server.events_since(&ann.id, &ann_mark).await;
    assert_eq!(kinds(&to_ann), ["read"]);
    assert_eq!(
        data(&to_ann[0]),
        json!({"conversation_id": id, "user_id": bob.id, "seq": 2})
    );
    assert_eq!(
        kinds(&server.events_since(&bob.id, &bob_mark).await),
        ["read"],
        "own tabs too"
    );

    let (status, _) = server
        .by(&bob)
        .post(&format!("/api/conversations/{id}/read"), json!({"seq": 1}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "moving back is ignored");
    assert_eq!(unread(&bob).await.0, 1);
    let (_, one) = server
        .by(&ann)
        .get(&format!("/api/conversations/{id}"))
        .await;
    assert_eq!(
        one["read_marks"],
        json!({ ann.id.as_str(): 3, bob.id.as_str(): 2 }),
        "one conversation carries every member's read mark (the sender read their own)"
    );
    server
        .by(&bob)
        .post(
            &format!("/api/conversations/{id}/read"),
            json!({"seq": 999}),
        )
        .await;
    assert_eq!(unread(&bob).await.0, 0, "clamped to the newest message");
    let (status, error) = server
        .by(&bob)
        .post(&format!("/api/conversations/{id}/read"), json!({"seq": -1}))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&error, "invalid_seq");
});

both_backends!(big_rooms_keep_read_marks_to_the_readers_tabs, |backend| {
    let server = TestServer::start_with(
        backend,
        Settings {
            read_receipts_members_max: 2,
            ..Settings::default()
        },
    )
    .await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let cat = person(&server, "cat").await;
    let pair = room(&server, &ann, "pair", &[&bob]).await;
    let trio = room(&server, &ann, "trio", &[&bob, &cat]).await;
    for id in [&pair, &trio] {
        send(&server, &ann, id, "read me", &format!("r-{id}")).await;
    }
    let (ann_mark, bob_mark) = (
        server.inbox_mark(&ann.id).await,
        server.inbox_mark(&bob.id).await,
    );
    for id in [&pair, &trio] {
        let (status, _) = server
            .by(&bob)
            .post(&format!("/api/conversations/{id}/read"), json!({"seq": 1}))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let to_ann = server.events_since(&ann.id, &ann_mark).await;
    assert_eq!(kinds(&to_ann), ["read"], "from the room of two only");
    assert_eq!(data(&to_ann[0])["conversation_id"], pair.as_str());
    assert_eq!(
        kinds(&server.events_since(&bob.id, &bob_mark).await),
        ["read", "read"],
        "the reader's tabs hear both"
    );
    // The mark itself is kept all the same: the room shows it when loaded.
    let (_, room) = server
        .by(&ann)
        .get(&format!("/api/conversations/{trio}"))
        .await;
    assert_eq!(room["read_marks"][bob.id.as_str()], 1);
});
