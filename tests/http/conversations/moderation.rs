//! Keeping a room: an owner who appoints moderators and hands the room on (by hand or by
//! leaving), moderators who remove and ban plain members but never their equals, private
//! invite links that can be changed, and reports that reach the moderators and close when
//! the message goes.

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
        let (status, _) = call(
            &server,
            &ann,
            Method::DELETE,
            "/api/me",
            Some(json!({ "password": chat_tests::PASSWORD })),
        )
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
        let (status, _) = call(&server, &cat, Method::POST, "/api/rooms/lobby/join", None).await;
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
        let (status, error) =
            call(&server, &cat, Method::POST, "/api/rooms/lobby/join", None).await;
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
        let (status, _) = call(&server, &eve, Method::POST, "/api/rooms/lobby/join", None).await;
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
        let (status, _) = call(&server, &cat, Method::POST, "/api/rooms/lobby/join", None).await;
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

both_backends!(a_private_rooms_invite_link_can_be_changed, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let cat = person(&server, "cat").await;
    let dan = person(&server, "dan").await;
    let (_, private) = call(&server, &ann, Method::POST, "/api/rooms", Some(json!({}))).await;
    let id = private["id"].as_str().unwrap().to_owned();
    assert_eq!(private["invite_code"], id, "the id is the first invitation");
    let (status, _) = call(
        &server,
        &cat,
        Method::POST,
        &format!("/api/rooms/{id}/join"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, error) = on_room(&server, &cat, Method::POST, &id, "/invite", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_error(&error, "not_moderator");
    let cat_mark = server.inbox_mark(&cat.id).await;
    let (status, changed) = on_room(&server, &ann, Method::POST, &id, "/invite", None).await;
    assert_eq!(status, StatusCode::OK);
    let code = changed["invite_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 64);
    assert_ne!(code, id);
    assert_eq!(changed["id"], id, "the room keeps its id");
    let to_cat = server.events_since(&cat.id, &cat_mark).await;
    assert_eq!(kinds(&to_cat), ["conversation_updated"]);
    assert_eq!(data(&to_cat[0])["invite_code"], code);

    let (status, _) = call(
        &server,
        &dan,
        Method::POST,
        &format!("/api/rooms/{id}/join"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old link admits nobody");
    let (status, _) = call(
        &server,
        &cat,
        Method::POST,
        &format!("/api/rooms/{id}/join"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "a member may still name it by id");
    let (status, joined) = call(
        &server,
        &dan,
        Method::POST,
        &format!("/api/rooms/{code}/join"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(joined["id"], id);

    let lobby = room(&server, &ann, "lobby", &[]).await;
    let (status, error) = on_room(&server, &ann, Method::POST, &lobby, "/invite", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_error(&error, "not_private");
    let (_, public) = on_room(&server, &ann, Method::GET, &lobby, "", None).await;
    assert_eq!(public["invite_code"], Value::Null);
});

both_backends!(
    reports_reach_the_moderators_who_delete_or_dismiss,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let cat = person(&server, "cat").await;
        let dan = person(&server, "dan").await;
        let lobby = room(&server, &ann, "lobby", &[&bob, &cat, &dan]).await;
        assert_eq!(
            set_role(&server, &ann, &lobby, &bob, "moderator").await.0,
            StatusCode::NO_CONTENT
        );
        let (_, rude) = send(&server, &cat, &lobby, "something rude", "c1").await;
        let rude = rude["id"].as_str().unwrap().to_owned();
        let report_path = format!("/messages/{rude}/report");

        let (status, error) = on_room(
            &server,
            &dan,
            Method::POST,
            &lobby,
            &report_path,
            Some(json!({ "reason": " " })),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "invalid_reason");
        let (status, error) = on_room(
            &server,
            &cat,
            Method::POST,
            &lobby,
            &report_path,
            Some(json!({ "reason": "me" })),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "one's own message is deleted, not reported"
        );
        assert_error(&error, "invalid_target");

        let marks = [
            server.inbox_mark(&ann.id).await,
            server.inbox_mark(&bob.id).await,
            server.inbox_mark(&cat.id).await,
        ];
        let (status, report) = on_room(
            &server,
            &dan,
            Method::POST,
            &lobby,
            &report_path,
            Some(json!({ "reason": "insults" })),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(report["reason"], "insults");
        assert_eq!(report["reporter"]["username"], "dan");
        assert_eq!(report["message"]["body"], "something rude");
        let (status, again) = on_room(
            &server,
            &dan,
            Method::POST,
            &lobby,
            &report_path,
            Some(json!({ "reason": "still" })),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "one report per person and message");
        assert_eq!(again["id"], report["id"]);
        for (keeper, mark) in [(&ann, &marks[0]), (&bob, &marks[1])] {
            let events = server.events_since(&keeper.id, mark).await;
            assert_eq!(
                kinds(&events),
                ["report"],
                "{} keeps the room",
                keeper.username
            );
            assert_eq!(data(&events[0])["report"]["id"], report["id"]);
        }
        assert!(
            server.events_since(&cat.id, &marks[2]).await.is_empty(),
            "the reported member hears nothing"
        );
        let (status, _) = on_room(&server, &dan, Method::GET, &lobby, "/reports", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, open) = on_room(&server, &bob, Method::GET, &lobby, "/reports", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(open["reports"].as_array().unwrap().len(), 1);

        // A plain member cannot delete another's message; a moderator can, and says so.
        let message_path = format!("/messages/{rude}");
        let (status, error) =
            on_room(&server, &dan, Method::DELETE, &lobby, &message_path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_error(&error, "not_author");
        let cat_mark = server.inbox_mark(&cat.id).await;
        let (status, _) = on_room(&server, &bob, Method::DELETE, &lobby, &message_path, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let to_cat = server.events_since(&cat.id, &cat_mark).await;
        assert_eq!(kinds(&to_cat), ["message_deleted"]);
        assert_eq!(data(&to_cat[0])["deleted_by"], bob.id);
        assert_eq!(data(&to_cat[0])["message"]["deleted"], true);
        let (_, open) = on_room(&server, &bob, Method::GET, &lobby, "/reports", None).await;
        assert_eq!(
            open["reports"],
            json!([]),
            "the report closed with its message"
        );
        let (status, error) = on_room(
            &server,
            &dan,
            Method::POST,
            &lobby,
            &report_path,
            Some(json!({ "reason": "x" })),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_error(&error, "message_deleted");

        // Dismissed: the message stays.
        let (_, mild) = send(&server, &cat, &lobby, "something mild", "c2").await;
        let mild_path = format!("/messages/{}/report", mild["id"].as_str().unwrap());
        let (_, report) = on_room(
            &server,
            &dan,
            Method::POST,
            &lobby,
            &mild_path,
            Some(json!({ "reason": "meh" })),
        )
        .await;
        let dismiss = format!("/reports/{}", report["id"].as_str().unwrap());
        let (status, _) = on_room(&server, &dan, Method::DELETE, &lobby, &dismiss, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = on_room(&server, &ann, Method::DELETE, &lobby, &dismiss, None).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = on_room(&server, &ann, Method::DELETE, &lobby, &dismiss, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, history) = on_room(&server, &dan, Method::GET, &lobby, "/messages", None).await;
        assert_eq!(history["messages"][1]["body"], "something mild");

        // Direct conversations have no moderators to report to.
        befriend(&server, &ann, &dan).await;
        let (_, direct) = open_direct(&server, &dan, "ann").await;
        let direct = direct["id"].as_str().unwrap();
        let (_, hello) = send(&server, &ann, direct, "hello", "c3").await;
        let path = format!("/messages/{}/report", hello["id"].as_str().unwrap());
        let (status, error) = on_room(
            &server,
            &dan,
            Method::POST,
            direct,
            &path,
            Some(json!({ "reason": "x" })),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&error, "not_a_room");
    }
);
