//! Keeping a room: an owner who appoints moderators and hands the room on (by hand or by
//! leaving), moderators who remove and ban plain members but never their equals, private
//! invite links that can be changed, and reports that reach the moderators and close when
//! the message goes.

mod reports;

use super::*;

/// `who` does `method` on `/api/conversations/{room}{rest}`.
async fn on_room(
    server: &TestServer,
    who: &Person,
    method: Method,
    room: &str,
    rest: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    call(
        server,
        who,
        method,
        &format!("/api/conversations/{room}{rest}"),
        body,
    )
    .await
}

async fn set_role(
    server: &TestServer,
    who: &Person,
    room: &str,
    whom: &Person,
    role: &str,
) -> (StatusCode, Value) {
    let rest = format!("/members/{}/role", whom.username);
    let body = Some(json!({ "role": role }));
    on_room(server, who, Method::PUT, room, &rest, body).await
}

/// The roles a member sees in the room: username-free, by user id.
async fn roles(server: &TestServer, who: &Person, room: &str) -> Value {
    let (status, conversation) = on_room(server, who, Method::GET, room, "", None).await;
    assert_eq!(status, StatusCode::OK);
    conversation["roles"].clone()
}

both_backends!(
    the_owner_appoints_moderators_and_the_room_passes_on,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let cat = person(&server, "cat").await;
        let lobby = room(&server, &ann, "lobby", &[&bob, &cat]).await;

        let (_, mine) = on_room(&server, &ann, Method::GET, &lobby, "", None).await;
        assert_eq!(mine["role"], "owner", "whoever makes a room owns it");
        let (_, theirs) = on_room(&server, &bob, Method::GET, &lobby, "", None).await;
        assert_eq!(theirs["role"], "member");
        assert_eq!(
            roles(&server, &bob, &lobby).await,
            json!({ &ann.id: "owner" })
        );

        let (status, error) = set_role(&server, &bob, &lobby, &cat, "moderator").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&error, "not_moderator");
        let (status, error) = set_role(&server, &ann, &lobby, &cat, "admin").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "invalid_role");

        let cat_mark = server.inbox_mark(&cat.id).await;
        let (status, _) = set_role(&server, &ann, &lobby, &bob, "moderator").await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let to_cat = server.events_since(&cat.id, &cat_mark).await;
        assert_eq!(kinds(&to_cat), ["member_role"]);
        assert_eq!(
            data(&to_cat[0]),
            json!({ "conversation_id": lobby, "user_id": bob.id, "role": "moderator", "by": ann.id })
        );
        let (status, error) = set_role(&server, &bob, &lobby, &cat, "moderator").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "only the owner appoints");
        assert_error(&error, "not_owner");

        // Handed on: one owner at any time, the old one a moderator.
        let (status, _) = set_role(&server, &ann, &lobby, &bob, "owner").await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            roles(&server, &cat, &lobby).await,
            json!({ &ann.id: "moderator", &bob.id: "owner" })
        );

        // The owner leaves: the longest-standing moderator owns it, and everyone is told.
        let cat_mark = server.inbox_mark(&cat.id).await;
        let (status, _) = on_room(&server, &bob, Method::POST, &lobby, "/leave", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let to_cat = server.events_since(&cat.id, &cat_mark).await;
        assert_eq!(kinds(&to_cat), ["member_left", "member_role"]);
        assert_eq!(
            data(&to_cat[1]),
            json!({ "conversation_id": lobby, "user_id": ann.id, "role": "owner", "by": null })
        );

        // With no moderator left, the longest-standing member; also when an account goes.
        let (status, _) = server
            .by(&ann)
            .delete("/api/me", json!({ "password": chat_tests::PASSWORD }))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(
            roles(&server, &cat, &lobby).await,
            json!({ &cat.id: "owner" })
        );
    }
);

both_backends!(
    moderators_remove_and_ban_members_but_not_their_equals,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let cat = person(&server, "cat").await;
        let dan = person(&server, "dan").await;
        let eve = person(&server, "eve").await;
        let lobby = room(&server, &ann, "lobby", &[&bob, &cat, &dan]).await;
        assert_eq!(
            set_role(&server, &ann, &lobby, &bob, "moderator").await.0,
            StatusCode::NO_CONTENT
        );

        let (status, error) =
            on_room(&server, &dan, Method::DELETE, &lobby, "/members/cat", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&error, "not_moderator");
        let (status, error) =
            on_room(&server, &bob, Method::DELETE, &lobby, "/members/ann", None).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "a moderator cannot remove the owner"
        );
        assert_error(&error, "outranked");
        let (status, error) =
            on_room(&server, &bob, Method::DELETE, &lobby, "/members/bob", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "invalid_target");
        let (status, _) =
            on_room(&server, &bob, Method::DELETE, &lobby, "/members/eve", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "eve is no member");

        let cat_mark = server.inbox_mark(&cat.id).await;
        let dan_mark = server.inbox_mark(&dan.id).await;
        let (status, _) =
            on_room(&server, &bob, Method::DELETE, &lobby, "/members/cat", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let removed = json!({ "conversation_id": lobby, "user_id": cat.id, "removed_by": bob.id });
        let to_cat = server.events_since(&cat.id, &cat_mark).await;
        assert_eq!(
            kinds(&to_cat),
            ["member_left"],
            "the removed member's tabs learn it"
        );
        assert_eq!(data(&to_cat[0]), removed);
        assert_eq!(
            data(&server.events_since(&dan.id, &dan_mark).await[0]),
            removed
        );
        let (status, _) = on_room(&server, &cat, Method::GET, &lobby, "/messages", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = server.by(&cat).post("/api/rooms/lobby/join", None).await;
        assert_eq!(status, StatusCode::OK, "removed is not banned");

        // Banned: out, and kept out; the reason is the moderators' to read.
        let (status, ban) = on_room(
            &server,
            &bob,
            Method::POST,
            &lobby,
            "/bans",
            Some(json!({ "username": "cat", "reason": "spam" })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(ban["user"]["username"], "cat");
        assert_eq!(ban["banned_by"], bob.id);
        assert_eq!(ban["reason"], "spam");
        let (status, error) = server.by(&cat).post("/api/rooms/lobby/join", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&error, "banned");
        // Someone who is not in the room can be banned before they come.
        let (status, _) = on_room(
            &server,
            &bob,
            Method::POST,
            &lobby,
            "/bans",
            Some(json!({ "username": "eve" })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        let (status, _) = server.by(&eve).post("/api/rooms/lobby/join", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, listed) = on_room(&server, &bob, Method::GET, &lobby, "/bans", None).await;
        assert_eq!(status, StatusCode::OK);
        let banned: Vec<&str> = listed["bans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["user"]["username"].as_str().unwrap())
            .collect();
        assert_eq!(banned.len(), 2);
        assert!(banned.contains(&"cat") && banned.contains(&"eve"));
        let (status, _) = on_room(&server, &dan, Method::GET, &lobby, "/bans", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "members do not see the bans");
        let (status, error) = on_room(
            &server,
            &bob,
            Method::POST,
            &lobby,
            "/bans",
            Some(json!({ "username": "ann" })),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&error, "outranked");

        let (status, _) = on_room(&server, &bob, Method::DELETE, &lobby, "/bans/cat", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = on_room(&server, &bob, Method::DELETE, &lobby, "/bans/cat", None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = server.by(&cat).post("/api/rooms/lobby/join", None).await;
        assert_eq!(status, StatusCode::OK, "a lifted ban lets them back");

        // The owner acts on moderators; a direct conversation has nobody to keep it.
        let (status, _) =
            on_room(&server, &ann, Method::DELETE, &lobby, "/members/bob", None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        befriend(&server, &ann, &dan).await;
        let (_, direct) = open_direct(&server, &ann, "dan").await;
        let direct = direct["id"].as_str().unwrap();
        let (status, error) =
            on_room(&server, &ann, Method::DELETE, direct, "/members/dan", None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "not_a_room");
    }
);
