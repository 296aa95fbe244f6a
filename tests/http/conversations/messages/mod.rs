//! Messages: sent once per client_id (also by racing and concurrent senders, and around a
//! Redis outage), gapless seqs, history pages, edits and tombstones, the send rate limit.

mod replies_and_reactions;

use super::*;

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
            assert_eq!(kinds(&events), ["message", "message"], "{}", who.username);
            assert_eq!(data(&events[0])["message"]["id"], first["id"]);
            assert_eq!(data(&events[0])["conversation_id"], id.as_str());
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
            let (status, error) = server
                .by(&ann)
                .post(&format!("/api/conversations/{id}/messages"), body.clone())
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_error(&error, code);
        }
        let (_, page) = server
            .by(&ann)
            .get(&format!("/api/conversations/{id}/messages"))
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
    let (status, newest) = server.by(&ann).get(&path("")).await;
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
    let (_, older) = server.by(&ann).get(&path("?before_seq=71&limit=100")).await;
    let seqs: Vec<i64> = older["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs, (1..=70).collect::<Vec<_>>());
    assert_eq!(older["has_more"], false);
    let (_, exact) = server.by(&ann).get(&path("?before_seq=21&limit=20")).await;
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
        let (status, error) = server.by(&ann).get(&path(query)).await;
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
        let (status, edited) = server
            .by(&ann)
            .patch(&message_path, json!({"body": "first"}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(edited["body"], "first");
        assert!(edited["edited_at"].is_string());
        assert_eq!(edited["seq"], message["seq"]);
        let (status, error) = server
            .by(&bob)
            .patch(&message_path, json!({"body": "hacked"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&error, "not_author");
        let (status, error) = server.by(&bob).delete(&message_path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&error, "not_author");
        let (status, _) = server
            .by(&ann)
            .patch(&message_path, json!({"body": ""}))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);

        let (status, _) = server.by(&ann).delete(&message_path, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = server.by(&ann).delete(&message_path, None).await;
        assert_eq!(
            status,
            StatusCode::NO_CONTENT,
            "deleting a tombstone is harmless"
        );
        let (_, page) = server
            .by(&bob)
            .get(&format!("/api/conversations/{id}/messages"))
            .await;
        let tombstone = &page["messages"][0];
        assert_eq!(tombstone["deleted"], true);
        assert_eq!(tombstone["body"], "");
        assert_eq!(tombstone["seq"], 1, "keeps its place");
        let (status, error) = server
            .by(&ann)
            .patch(&message_path, json!({"body": "back"}))
            .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_error(&error, "message_deleted");
        let (status, _) = server
            .by(&ann)
            .patch(
                &format!("/api/conversations/{id}/messages/nope"),
                json!({"body": "x"}),
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let events = server.events_since(&bob.id, &bob_mark).await;
        assert_eq!(kinds(&events), ["message_edited", "message_deleted"]);
        assert_eq!(data(&events[1])["message"]["deleted"], true);
    }
);

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
    assert_eq!(kinds(&events), ["message"], "delivered exactly once");
}
