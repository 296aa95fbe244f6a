//! Replies that quote what they answer, reactions, mentions counted for whom they name,
//! and what a big room costs its sender.

use super::*;

both_backends!(a_reply_quotes_what_it_answers_as_it_is_now, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let id = room(&server, &ann, "general", &[&bob]).await;
    let other = room(&server, &ann, "elsewhere", &[]).await;
    let long = format!("question? {}", "x".repeat(300));
    let (_, question) = send(&server, &ann, &id, &long, "q1").await;
    let (_, stranger) = send(&server, &ann, &other, "not here", "s1").await;

    let bob_mark = server.inbox_mark(&bob.id).await;
    let (status, answer) = server
        .by(&bob)
        .post(
            &format!("/api/conversations/{id}/messages"),
            json!({"body": "answer", "client_id": "a1", "reply_to": question["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let quote = &answer["reply_to"];
    assert_eq!(quote["id"], question["id"]);
    assert_eq!(quote["seq"], question["seq"]);
    assert_eq!(quote["sender_id"], ann.id.as_str());
    assert_eq!(quote["sender_name"], "ann");
    assert_eq!(
        quote["excerpt"].as_str().unwrap().chars().count(),
        200,
        "the start of it"
    );
    assert!(long.starts_with(quote["excerpt"].as_str().unwrap()));
    assert_eq!(quote["deleted"], false);
    let delivered = server.events_since(&bob.id, &bob_mark).await;
    assert_eq!(
        data(&delivered[0])["message"]["reply_to"],
        *quote,
        "the event carries it"
    );
    assert_eq!(
        question["reply_to"],
        Value::Null,
        "a message that answers nothing"
    );

    // Only a message of the same conversation; nothing is stored otherwise.
    for target in [
        stranger["id"].clone(),
        json!("01a24429-0000-7000-8000-000000000000"),
    ] {
        let (status, error) = server
            .by(&bob)
            .post(
                &format!("/api/conversations/{id}/messages"),
                json!({"body": "lost", "client_id": "bad", "reply_to": target}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{target}");
        assert_error(&error, "invalid_reply_to");
    }

    // Deleting the question empties the quote wherever the reply is read.
    let (status, _) = server
        .by(&ann)
        .delete(
            &format!(
                "/api/conversations/{id}/messages/{}",
                question["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, page) = server
        .by(&ann)
        .get(&format!("/api/conversations/{id}/messages"))
        .await;
    let bodies: Vec<&str> = page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["", "answer"], "nothing from the refused replies");
    let quote = &page["messages"][1]["reply_to"];
    assert_eq!(quote["deleted"], true);
    assert_eq!(quote["excerpt"], "");
    assert_eq!(quote["seq"], question["seq"], "still where it was");
});

/// `PUT` (or `DELETE`) of `emoji` on a message, percent-encoded as a browser would.
async fn react(
    server: &TestServer,
    who: &Person,
    method: Method,
    conversation: &str,
    message: &str,
    emoji: &str,
) -> (StatusCode, Value) {
    let encoded: String = emoji.bytes().map(|b| format!("%{b:02X}")).collect();
    call(
        server,
        who,
        method,
        &format!("/api/conversations/{conversation}/messages/{message}/reactions/{encoded}"),
        None,
    )
    .await
}

both_backends!(reactions_are_toggled_counted_and_announced, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let cat = person(&server, "cat").await;
    let id = room(&server, &ann, "general", &[&bob]).await;
    let (_, message) = send(&server, &ann, &id, "lunch?", "l1").await;
    let mid = message["id"].as_str().unwrap().to_owned();
    assert_eq!(message["reactions"], json!([]));

    let ann_mark = server.inbox_mark(&ann.id).await;
    assert_eq!(
        react(&server, &bob, Method::PUT, &id, &mid, "👍").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        react(&server, &bob, Method::PUT, &id, &mid, "👍").await.0,
        StatusCode::NO_CONTENT,
        "twice is once"
    );
    assert_eq!(
        react(&server, &ann, Method::PUT, &id, &mid, "👍").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        react(&server, &ann, Method::PUT, &id, &mid, "❤").await.0,
        StatusCode::NO_CONTENT
    );
    let events = server.events_since(&ann.id, &ann_mark).await;
    assert_eq!(
        kinds(&events),
        ["reaction", "reaction", "reaction"],
        "the repeat announced nothing"
    );
    assert_eq!(
        data(&events[1]),
        json!({"conversation_id": id, "message_id": mid, "emoji": "👍", "user_id": ann.id, "added": true, "count": 2})
    );
    assert_eq!(
        data(&events[2])["emoji"],
        "❤️",
        "stored in its qualified form"
    );

    let (_, page) = server
        .by(&cat)
        .get(&format!("/api/conversations/{id}/messages"))
        .await;
    assert_eq!(page["error"]["code"], "not_found", "only members see them");
    let (_, page) = server
        .by(&bob)
        .get(&format!("/api/conversations/{id}/messages"))
        .await;
    assert_eq!(
        page["messages"][0]["reactions"],
        json!([
            {"emoji": "👍", "count": 2, "user_ids": [bob.id, ann.id]},
            {"emoji": "❤️", "count": 1, "user_ids": [ann.id]},
        ]),
        "the earliest emoji first, reactors in order"
    );

    let bob_mark = server.inbox_mark(&bob.id).await;
    assert_eq!(
        react(&server, &bob, Method::DELETE, &id, &mid, "👍")
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        react(&server, &bob, Method::DELETE, &id, &mid, "👍")
            .await
            .0,
        StatusCode::NO_CONTENT,
        "gone is gone"
    );
    let events = server.events_since(&bob.id, &bob_mark).await;
    assert_eq!(kinds(&events), ["reaction"]);
    assert_eq!(data(&events[0])["added"], false);
    assert_eq!(data(&events[0])["count"], 1);

    // Bad input changes nothing.
    for (who, emoji, status, code) in [
        (&bob, "a", StatusCode::BAD_REQUEST, "invalid_emoji"),
        (&bob, "👍👍", StatusCode::BAD_REQUEST, "invalid_emoji"),
        (&cat, "👍", StatusCode::NOT_FOUND, "not_found"),
    ] {
        let (got, error) = react(&server, who, Method::PUT, &id, &mid, emoji).await;
        assert_eq!(got, status, "{emoji}");
        assert_error(&error, code);
    }
    let (got, error) = react(
        &server,
        &bob,
        Method::PUT,
        &id,
        "01a24429-0000-7000-8000-000000000000",
        "👍",
    )
    .await;
    assert_eq!(got, StatusCode::NOT_FOUND);
    assert_error(&error, "not_found");

    // At most REACTIONS_PER_MESSAGE different emoji; one already there can still be added.
    let many = [
        "😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆", "😉", "😊", "😋", "😎", "😍", "😘", "🥰",
        "😗", "😙", "🥲",
    ];
    for (i, emoji) in many.iter().enumerate() {
        // Shared out, so neither reaches the per-user rate limit.
        let who = if i % 2 == 0 { &ann } else { &bob };
        assert_eq!(
            react(&server, who, Method::PUT, &id, &mid, emoji).await.0,
            StatusCode::NO_CONTENT,
            "{emoji}"
        );
    }
    let (got, error) = react(&server, &bob, Method::PUT, &id, &mid, "🙃").await;
    assert_eq!(got, StatusCode::CONFLICT);
    assert_error(&error, "too_many_reactions");
    assert_eq!(
        react(&server, &bob, Method::PUT, &id, &mid, "❤️").await.0,
        StatusCode::NO_CONTENT
    );

    // Deleting the message takes its reactions with it, and a tombstone takes none.
    let (status, _) = server
        .by(&ann)
        .delete(&format!("/api/conversations/{id}/messages/{mid}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, page) = server
        .by(&bob)
        .get(&format!("/api/conversations/{id}/messages"))
        .await;
    assert_eq!(page["messages"][0]["reactions"], json!([]));
    let (got, error) = react(&server, &bob, Method::PUT, &id, &mid, "👍").await;
    assert_eq!(got, StatusCode::CONFLICT);
    assert_error(&error, "message_deleted");
});

both_backends!(
    mentions_in_rooms_are_listed_and_counted_for_whom_they_name,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let cat = person(&server, "cat").await;
        let id = room(&server, &ann, "general", &[&bob, &cat]).await;
        let counts = |who: &'static str, list: Value| -> (i64, i64) {
            let c = list["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["kind"] == "room")
                .unwrap_or_else(|| panic!("{who}'s room"))
                .clone();
            (
                c["unread_count"].as_i64().unwrap(),
                c["mention_count"].as_i64().unwrap(),
            )
        };

        let (_, first) = send(
            &server,
            &ann,
            &id,
            "hey @Bob, and mail cat@example.org",
            "m1",
        )
        .await;
        assert_eq!(first["mentions"], json!(["bob"]));
        send(&server, &ann, &id, "@bob @bob twice is one", "m2").await;
        send(&server, &ann, &id, "nobody here", "m3").await;
        let (_, list) = server.by(&bob).get("/api/conversations").await;
        assert_eq!(counts("bob", list), (3, 2));
        let (_, list) = server.by(&cat).get("/api/conversations").await;
        assert_eq!(counts("cat", list), (3, 0), "an address is not a mention");

        // An edit that drops the mention drops it from the count.
        let path = format!(
            "/api/conversations/{id}/messages/{}",
            first["id"].as_str().unwrap()
        );
        let (status, edited) = server
            .by(&ann)
            .patch(&path, json!({"body": "hey all"}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(edited["mentions"], json!([]));
        let (_, list) = server.by(&bob).get("/api/conversations").await;
        assert_eq!(counts("bob", list), (3, 1));

        // Reading clears it.
        let (status, _) = server
            .by(&bob)
            .post(&format!("/api/conversations/{id}/read"), json!({"seq": 3}))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, list) = server.by(&bob).get("/api/conversations").await;
        assert_eq!(counts("bob", list), (0, 0));

        // Direct conversations have no mentions: both sides are named already.
        befriend(&server, &ann, &bob).await;
        let (_, direct) = open_direct(&server, &ann, "bob").await;
        let (_, sent) = send(
            &server,
            &ann,
            direct["id"].as_str().unwrap(),
            "@bob hi",
            "d1",
        )
        .await;
        assert_eq!(sent["mentions"], json!([]));
    }
);

both_backends!(
    a_big_room_costs_its_sender_what_it_costs_the_server,
    |backend| {
        let settings = Settings {
            deliveries_per_second: 10,
            messages_burst: 100,
            signups_per_ip_per_hour: 100,
            ..Settings::default()
        };
        let server = TestServer::start_with(backend, settings).await;
        let ann = person(&server, "ann").await;
        let mut crowd = Vec::new();
        for n in 0..24 {
            crowd.push(person(&server, &format!("member{n}")).await);
        }
        let members: Vec<&Person> = crowd.iter().collect();
        let big = room(&server, &ann, "big", &members).await;
        // 25 members: each message is 25 deliveries of a burst of 100.
        let mut statuses = Vec::new();
        for n in 0..5 {
            let (status, body) =
                send(&server, &ann, &big, &format!("hello {n}"), &format!("b{n}")).await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                assert_error(&body, "rate_limited");
            }
            statuses.push(status);
        }
        assert_eq!(
            statuses,
            [
                StatusCode::CREATED,
                StatusCode::CREATED,
                StatusCode::CREATED,
                StatusCode::CREATED,
                StatusCode::TOO_MANY_REQUESTS
            ]
        );
        let (_, history) = server
            .by(&ann)
            .get(&format!("/api/conversations/{big}/messages"))
            .await;
        assert_eq!(
            history["messages"].as_array().unwrap().len(),
            4,
            "the refused one is not stored"
        );
        // A small conversation costs nothing extra.
        let small = room(&server, &ann, "small", &[members[0]]).await;
        let (status, _) = send(&server, &ann, &small, "still fine", "s1").await;
        assert_eq!(status, StatusCode::CREATED);
    }
);
