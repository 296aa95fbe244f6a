//! An account's data exported, and the account deleted, leaving tombstones.

use super::*;

both_backends!(
    an_account_exports_its_data_and_is_deleted_leaving_tombstones,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        befriend(&server, &ann, &bob).await;
        let id = room(&server, &ann, "club", &[&bob]).await;
        let (status, _) = server
            .by(&ann)
            .post(
                &format!("/api/conversations/{id}/messages"),
                json!({"body": "ann was here", "client_id": "a1"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        server
            .by(&bob)
            .post(
                &format!("/api/conversations/{id}/messages"),
                json!({"body": "bob stays", "client_id": "b1"}),
            )
            .await;

        // The export: her data, no secret.
        let (status, export) = server.by(&ann).get("/api/me/export").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(export["user"]["username"], "ann");
        assert_eq!(export["friends"][0]["username"], "bob");
        assert_eq!(export["messages_sent"][0]["body"], "ann was here");
        assert_eq!(export["conversations"].as_array().unwrap().len(), 1);
        for section in ["passkeys", "reports_filed"] {
            assert!(export[section].is_array(), "{section} is exported");
        }
        assert_eq!(
            export["conversation_roles"],
            json!([{"conversation_id": id, "role": "owner"}]),
            "she made the club"
        );
        let text = export.to_string();
        assert!(!text.contains("argon2") && !text.contains(&ann.token));

        // Deleting needs the password.
        let (status, _) = server
            .by(&ann)
            .delete("/api/me", json!({"password": "not hers at all"}))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let bob_mark = server.inbox_mark(&bob.id).await;
        let (status, _) = server
            .by(&ann)
            .delete("/api/me", json!({"password": chat_tests::PASSWORD}))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);

        // Her session is gone; so is signing in; the name is free again.
        let (status, _) = server.by(&ann).get("/api/me").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let login = server
            .post_json(
                "/api/auth/login",
                json!({"username": "ann", "password": chat_tests::PASSWORD}),
            )
            .await;
        assert_eq!(login.status(), StatusCode::UNAUTHORIZED);
        server.signup("ann", chat_tests::PASSWORD).await;

        // Bob was told, and the room keeps its order with her words gone.
        let heard = kinds(&server.events_since(&bob.id, &bob_mark).await);
        assert!(heard.contains(&"friend_removed"), "{heard:?}");
        assert!(heard.contains(&"member_left"), "{heard:?}");
        let (_, history) = server
            .by(&bob)
            .get(&format!("/api/conversations/{id}/messages"))
            .await;
        let messages = history["messages"].as_array().unwrap();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0]["deleted"], true);
        assert_eq!(messages[0]["body"], "");
        assert_eq!(messages[0]["sender"]["display_name"], "Deleted user");
        assert_eq!(messages[1]["body"], "bob stays");
        let (_, found) = server.by(&bob).get("/api/search?q=here").await;
        assert!(found["results"].as_array().unwrap().is_empty());
    }
);
