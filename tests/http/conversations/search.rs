//! Full-text search: only the caller's conversations, newest first, paged, filtered, with
//! marked snippets; edits and deletions change what is found.

use super::*;

/// `GET /api/search?{query}` as `who`: the status and the answer.
async fn search(server: &TestServer, who: &Person, query: &str) -> (StatusCode, Value) {
    server.by(who).get(&format!("/api/search?{query}")).await
}

/// The bodies of a search answer's results, in order.
fn bodies(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|hit| hit["message"]["body"].as_str().unwrap().to_owned())
        .collect()
}

both_backends!(search_finds_only_the_callers_conversations, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let eve = person(&server, "eve").await;
    let ours = room(&server, &ann, "ours", &[&bob]).await;
    let theirs = room(&server, &eve, "theirs", &[]).await;
    send(&server, &ann, &ours, "Meet at the café on Monday", "c1").await;
    send(&server, &bob, &ours, "monday works for me", "c2").await;
    send(&server, &eve, &theirs, "eve's secret monday plan", "c3").await;

    let (status, answer) = search(&server, &ann, "q=monday").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(
        bodies(&answer),
        ["monday works for me", "Meet at the café on Monday"],
        "newest first, and never a conversation the caller is not in"
    );
    assert_eq!(answer["next_before"], Value::Null);
    let first = &answer["results"][0];
    assert_eq!(first["message"]["conversation_id"], ours.as_str());
    assert_eq!(first["message"]["sender"]["username"], "bob");
    let marked: Vec<(&str, bool)> = first["snippet"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["text"].as_str().unwrap(), p["matched"].as_bool().unwrap()))
        .collect();
    assert_eq!(marked, [("monday", true), (" works for me", false)]);

    // Diacritics fold, and the last word matches as a prefix (results while typing).
    let (_, answer) = search(&server, &ann, "q=cafe%20mon").await;
    assert_eq!(bodies(&answer), ["Meet at the café on Monday"]);
    // Eve finds her own and nothing of ours.
    let (_, answer) = search(&server, &eve, "q=monday").await;
    assert_eq!(bodies(&answer), ["eve's secret monday plan"]);
    // Filters: one conversation (someone else's finds nothing), one sender.
    let (_, answer) = search(&server, &ann, &format!("q=monday&conversation_id={theirs}")).await;
    assert!(bodies(&answer).is_empty());
    let (_, answer) = search(&server, &ann, "q=monday&from=%40Ann").await;
    assert_eq!(bodies(&answer), ["Meet at the café on Monday"]);
    // Leaving a room leaves its history out of one's search.
    let (status, _) = server
        .by(&bob)
        .post(&format!("/api/conversations/{ours}/leave"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, answer) = search(&server, &bob, "q=monday").await;
    assert!(bodies(&answer).is_empty());
});

both_backends!(edits_and_deletions_change_what_search_finds, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let id = room(&server, &ann, "edits", &[]).await;
    let (_, sent) = send(&server, &ann, &id, "the old wording", "c1").await;
    let (_, gone) = send(&server, &ann, &id, "wording to delete", "c2").await;
    let path = |m: &Value| {
        format!(
            "/api/conversations/{id}/messages/{}",
            m["id"].as_str().unwrap()
        )
    };

    let (status, _) = server
        .by(&ann)
        .patch(&path(&sent), json!({"body": "the new phrasing"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = server.by(&ann).delete(&path(&gone), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (_, answer) = search(&server, &ann, "q=wording").await;
    assert!(bodies(&answer).is_empty(), "{answer}");
    let (_, answer) = search(&server, &ann, "q=phrasing").await;
    assert_eq!(bodies(&answer), ["the new phrasing"]);
    assert!(answer["results"][0]["message"]["edited_at"].is_string());
});

both_backends!(
    the_index_stays_exact_whatever_falls_between_its_batches,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let kept = room(&server, &ann, "kept", &[]).await;
        let dropped = room(&server, &ann, "dropped", &[]).await;
        let (_, first) = send(&server, &ann, &kept, "alpha one", "c1").await;
        // A search indexes what was sent before it.
        let (_, answer) = search(&server, &ann, "q=alpha").await;
        assert_eq!(bodies(&answer), ["alpha one"]);
        send(&server, &ann, &dropped, "gamma two", "c2").await;
        send(&server, &ann, &dropped, "gamma three", "c3").await;
        let (_, answer) = search(&server, &ann, "q=gamma").await;
        assert_eq!(bodies(&answer).len(), 2);

        // The newest rows go outright (their conversation removed): SQLite hands their
        // rowids out again, and a message stored under one must still be indexed.
        server
            .ports
            .sql
            .execute(
                "DELETE FROM conversations WHERE id = ?1",
                &[dropped.as_str().into()],
            )
            .await
            .unwrap();
        send(&server, &ann, &kept, "delta four", "c4").await;
        let (_, answer) = search(&server, &ann, "q=delta").await;
        assert_eq!(bodies(&answer), ["delta four"], "a reused rowid is indexed");
        let (_, answer) = search(&server, &ann, "q=gamma").await;
        assert!(bodies(&answer).is_empty(), "{answer}");

        // An edit of a message already indexed re-indexes it.
        let (status, _) = server
            .by(&ann)
            .patch(
                &format!(
                    "/api/conversations/{kept}/messages/{}",
                    first["id"].as_str().unwrap()
                ),
                json!({"body": "beta one"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, answer) = search(&server, &ann, "q=alpha").await;
        assert!(bodies(&answer).is_empty(), "{answer}");
        let (_, answer) = search(&server, &ann, "q=beta").await;
        assert_eq!(bodies(&answer), ["beta one"]);

        // FTS5's own check: the index holds exactly what the messages table says.
        server
            .ports
            .sql
            .execute(
                "INSERT INTO messages_search (messages_search, rank) VALUES ('integrity-check', 1)",
                &[],
            )
            .await
            .expect("the search index matches the messages");
    }
);

both_backends!(search_pages_newest_first_with_a_cursor, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let id = room(&server, &ann, "pages", &[]).await;
    for i in 1..=5 {
        send(
            &server,
            &ann,
            &id,
            &format!("note number {i}"),
            &format!("c{i}"),
        )
        .await;
    }
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let (status, answer) = search(&server, &ann, &format!("q=note&limit=2{cursor}")).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        seen.extend(bodies(&answer));
        match answer["next_before"].as_str() {
            Some(next) => cursor = format!("&before={next}"),
            None => break,
        }
    }
    let expected: Vec<String> = (1..=5).rev().map(|i| format!("note number {i}")).collect();
    assert_eq!(seen, expected, "every match once, newest first");
});

both_backends!(bad_search_queries_get_the_error_shape, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    for (query, code) in [
        ("", "invalid_query"),
        ("q=%20%20", "invalid_query"),
        ("q=!!!", "invalid_query"),
        ("q=a%00b", "invalid_query"),
        ("q=x&limit=0", "invalid_limit"),
        ("q=x&limit=51", "invalid_limit"),
        ("q=x&before=-3", "invalid_cursor"),
    ] {
        let (status, body) = search(&server, &ann, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_error(&body, code);
    }
    // Query syntax typed by a person is text, not an error.
    let (status, answer) = search(&server, &ann, "q=%22OR%20NEAR(x%20*").await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let stranger = Person {
        token: "not-a-session".into(),
        id: ann.id.clone(),
        username: ann.username.clone(),
    };
    let (status, body) = search(&server, &stranger, "q=x").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_error(&body, "unauthenticated");
});
