//! A private room's invite link changed, and reports that reach the moderators, who delete
//! or dismiss them.

use super::*;

both_backends!(a_private_rooms_invite_link_can_be_changed, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let cat = person(&server, "cat").await;
    let dan = person(&server, "dan").await;
    let (_, private) = server.by(&ann).post("/api/rooms", json!({})).await;
    let id = private["id"].as_str().unwrap().to_owned();
    assert_eq!(private["invite_code"], id, "the id is the first invitation");
    let (status, _) = server
        .by(&cat)
        .post(&format!("/api/rooms/{id}/join"), None)
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

    let (status, _) = server
        .by(&dan)
        .post(&format!("/api/rooms/{id}/join"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the old link admits nobody");
    let (status, _) = server
        .by(&cat)
        .post(&format!("/api/rooms/{id}/join"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "a member may still name it by id");
    let (status, joined) = server
        .by(&dan)
        .post(&format!("/api/rooms/{code}/join"), None)
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
