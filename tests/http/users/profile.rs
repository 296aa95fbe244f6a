//! One's own profile, and presence as chosen and as connected friends see it.

use super::*;

both_backends!(me_shows_and_updates_the_own_profile, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let eve = person(&server, "eve").await;
    befriend(&server, &ann, &bob).await;

    let (status, me) = server.by(&ann).get("/api/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "ann");
    assert_eq!(
        me["presence"], "online",
        "the chosen presence of a new user"
    );

    let (bob_mark, eve_mark, ann_mark) = (
        server.inbox_mark(&bob.id).await,
        server.inbox_mark(&eve.id).await,
        server.inbox_mark(&ann.id).await,
    );
    let (status, updated) = server
        .by(&ann)
        .patch(
            "/api/me",
            json!({"display_name": " Ann A. ", "status_message": "at lunch"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(updated["display_name"], "Ann A.");
    assert_eq!(updated["status_message"], "at lunch");
    assert_eq!(server.by(&ann).get("/api/me").await.1, updated);

    let to_bob = server.events_since(&bob.id, &bob_mark).await;
    assert_eq!(kinds(&to_bob), ["profile"]);
    assert_eq!(data(&to_bob[0])["user"]["display_name"], "Ann A.");
    assert_eq!(data(&to_bob[0])["user_id"], ann.id.as_str());
    assert_eq!(
        kinds(&server.events_since(&ann.id, &ann_mark).await),
        ["profile"],
        "own other tabs"
    );
    assert!(
        server.events_since(&eve.id, &eve_mark).await.is_empty(),
        "strangers hear nothing"
    );

    for (body, code) in [
        (json!({"display_name": ""}), "invalid_display_name"),
        (json!({"display_name": "a\nb"}), "invalid_display_name"),
        // Names that read as something else: a right-to-left override, a zero-width space
        // making a look-alike of another name, an isolate left open.
        (
            json!({"display_name": "adm\u{202E}nimda"}),
            "invalid_display_name",
        ),
        (
            json!({"display_name": "bo\u{200B}b"}),
            "invalid_display_name",
        ),
        (
            json!({"display_name": "ann\u{2067}"}),
            "invalid_display_name",
        ),
        (
            json!({"status_message": "away \u{202D}back soon"}),
            "invalid_status_message",
        ),
        (
            json!({"status_message": "x".repeat(141)}),
            "invalid_status_message",
        ),
        (
            json!({"status_message": "tab\u{7}"}),
            "invalid_status_message",
        ),
        (
            json!({"display_name": "ok", "status_message": "y".repeat(141)}),
            "invalid_status_message",
        ),
        (json!({"nickname": "x"}), "invalid_json"),
    ] {
        let (status, error) = server.by(&ann).patch("/api/me", body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_error(&error, code);
    }
    let (_, unchanged) = server.by(&ann).get("/api/me").await;
    assert_eq!(unchanged, updated, "invalid updates change nothing");
    let (status, cleared) = server
        .by(&ann)
        .patch("/api/me", json!({"status_message": ""}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cleared["status_message"], "");
});

both_backends!(
    presence_is_chosen_and_seen_only_by_connected_friends,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let eve = person(&server, "eve").await;
        befriend(&server, &ann, &bob).await;
        let seen_by = |viewer: &Person| {
            let viewer_token = viewer.token.clone();
            let server = &server;
            async move {
                let response = server
                    .authed(Method::GET, "/api/users/ann", &viewer_token)
                    .send()
                    .await
                    .unwrap();
                json(response).await["presence"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            }
        };
        assert_eq!(seen_by(&bob).await, "offline", "no event stream yet");

        server.connect(&ann.id).await;
        assert_eq!(seen_by(&bob).await, "online");
        assert_eq!(
            seen_by(&eve).await,
            "offline",
            "non-friends always see offline"
        );

        let bob_mark = server.inbox_mark(&bob.id).await;
        let (status, me) = server
            .by(&ann)
            .put("/api/me/presence", json!({"presence": "busy"}))
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["presence"], "busy");
        assert_eq!(seen_by(&bob).await, "busy");
        let events = server.events_since(&bob.id, &bob_mark).await;
        assert_eq!(kinds(&events), ["presence"]);
        assert_eq!(
            data(&events[0]),
            json!({"user_id": ann.id, "presence": "busy"})
        );

        let bob_mark = server.inbox_mark(&bob.id).await;
        let (_, me) = server
            .by(&ann)
            .put("/api/me/presence", json!({"presence": "invisible"}))
            .await;
        assert_eq!(
            me["presence"], "invisible",
            "her own record shows her choice"
        );
        assert_eq!(seen_by(&bob).await, "offline");
        let events = server.events_since(&bob.id, &bob_mark).await;
        assert_eq!(
            data(&events[0])["presence"],
            "offline",
            "invisible looks offline"
        );

        for bad in [
            json!({"presence": "offline"}),
            json!({"presence": "Online"}),
            json!({}),
        ] {
            let (status, error) = server.by(&ann).put("/api/me/presence", bad.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(
                error["error"]["code"] == "invalid_presence"
                    || error["error"]["code"] == "invalid_json"
            );
        }
    }
);
