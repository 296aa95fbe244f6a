//! Profile pictures: set with a picture's bytes, seen live by friends and by anyone signed
//! in at a URL that names one picture only, replaced and removed without leaving bytes
//! behind, and refused when not an image or too big.

use chat_tests::{PNG, TestServer, assert_error, befriend, both_backends, data, kinds, person};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// `PUT /api/me/avatar` with `bytes` as `token`'s user.
async fn put_avatar(server: &TestServer, token: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let response = server
        .authed(Method::PUT, "/api/me/avatar", token)
        .header("content-type", "application/octet-stream")
        .header("connection", "close")
        .body(bytes)
        .send()
        .await
        .expect("put avatar");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn blob_count(server: &TestServer) -> i64 {
    let rows = server
        .ports
        .sql
        .query("SELECT count(*) FROM blobs", &[])
        .await
        .unwrap();
    rows[0].get(0).unwrap()
}

both_backends!(
    a_profile_picture_is_set_seen_replaced_and_removed,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let eve = person(&server, "eve").await;
        befriend(&server, &ann, &bob).await;
        let bob_mark = server.inbox_mark(&bob.id).await;

        let (status, me) = put_avatar(&server, &ann.token, PNG.to_vec()).await;
        assert_eq!(status, StatusCode::OK, "{me}");
        let url = me["avatar_url"].as_str().expect("avatar_url").to_owned();
        assert!(
            url.starts_with(&format!("/api/users/{}/avatar/", ann.id)),
            "{url}"
        );
        // Friends see it live, and in their friend list.
        let events = server.events_since(&bob.id, &bob_mark).await;
        assert_eq!(kinds(&events), ["profile"]);
        assert_eq!(data(&events[0])["user"]["avatar_url"], url.as_str());
        let (_, friends) = server.by(&bob).get("/api/friends").await;
        assert_eq!(friends["friends"][0]["user"]["avatar_url"], url.as_str());
        // Anyone signed in sees the picture, as they see the name; cached for good.
        let response = server
            .authed(Method::GET, &url, &eve.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "image/png");
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert_eq!(response.bytes().await.unwrap().as_ref(), PNG);
        let anonymous = server.client.get(server.url(&url)).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

        // A new picture is a new URL; the old one is gone, bytes and all.
        let (_, again) = put_avatar(&server, &ann.token, PNG.to_vec()).await;
        let second = again["avatar_url"].as_str().unwrap().to_owned();
        assert_ne!(second, url);
        let old = server
            .authed(Method::GET, &url, &bob.token)
            .send()
            .await
            .unwrap();
        assert_eq!(old.status(), StatusCode::NOT_FOUND);
        assert_eq!(blob_count(&server).await, 1);

        // Refused: not an image, too big; nothing changes.
        let (status, body) = put_avatar(&server, &ann.token, b"<svg onload=x>".to_vec()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&body, "not_an_image");
        let (status, body) = put_avatar(&server, &ann.token, vec![0x89; 1024 * 1024 + 1]).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_error(&body, "too_large");
        let (_, me) = server.by(&ann).get("/api/me").await;
        assert_eq!(me["avatar_url"], second.as_str());

        // Removed: the initial letter again, and no bytes left.
        let (status, me) = server.by(&ann).delete("/api/me/avatar", None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["avatar_url"], Value::Null);
        assert_eq!(blob_count(&server).await, 0);
    }
);
