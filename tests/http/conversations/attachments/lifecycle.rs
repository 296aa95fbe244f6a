//! Files go with their message; a big picture gets a scaled preview for members.

use super::*;

both_backends!(deleting_the_message_takes_its_files, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let id = room(&server, &ann, "gone", &[&bob]).await;
    let before = stored_rows(&server).await;
    let (_, image) = upload(&server, &ann, &id, "a.png", PNG.to_vec()).await;
    let (_, file) = upload(&server, &ann, &id, "b.bin", binary(300 * 1024)).await;
    // Listed file first, image second: the message keeps that order, not the upload's.
    let (status, sent) = send_files(&server, &ann, &id, "two files", &[&file, &image], "g1").await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let order: Vec<&Value> = sent["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["id"])
        .collect();
    assert_eq!(order, [&file["id"], &image["id"]]);
    let url = image["url"].as_str().unwrap();
    assert_eq!(
        fetch(&server, &bob, url, &[]).await.status(),
        StatusCode::OK
    );

    let (status, _) = server
        .by(&ann)
        .delete(
            &format!(
                "/api/conversations/{id}/messages/{}",
                sent["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        fetch(&server, &bob, url, &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        stored_rows(&server).await,
        before,
        "bytes and rows are gone"
    );
    let (_, page) = server
        .by(&bob)
        .get(&format!("/api/conversations/{id}/messages"))
        .await;
    assert_eq!(page["messages"][0]["attachments"], json!([]));
});

both_backends!(a_big_picture_gets_a_scaled_preview_for_members, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let bob = person(&server, "bob").await;
    let id = room(&server, &ann, "previews", &[&bob]).await;
    let before = stored_rows(&server).await;
    let mut photo = std::io::Cursor::new(Vec::new());
    image::DynamicImage::new_rgb8(1600, 1000)
        .write_to(&mut photo, image::ImageFormat::Png)
        .unwrap();
    let (status, big) = upload(&server, &ann, &id, "wide.png", photo.into_inner()).await;
    assert_eq!(status, StatusCode::CREATED, "{big}");
    let url = big["url"].as_str().unwrap().to_owned();
    assert_eq!(big["preview_url"], format!("{url}/preview").as_str());
    assert_eq!(
        (big["width"].clone(), big["height"].clone()),
        (json!(1600), json!(1000))
    );
    let preview_url = format!("{url}/preview");
    // Like the picture: its uploader sees it before it is sent, nobody else.
    assert_eq!(
        fetch(&server, &bob, &preview_url, &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    let (status, _) = send_files(&server, &ann, &id, "wide", &[&big], "p1").await;
    assert_eq!(status, StatusCode::CREATED);
    let preview = fetch(&server, &bob, &preview_url, &[]).await;
    assert_eq!(preview.status(), StatusCode::OK);
    assert_eq!(preview.headers()["content-type"], "image/jpeg");
    let whole_tag = fetch(&server, &bob, &url, &[]).await.headers()["etag"].clone();
    assert_ne!(
        preview.headers()["etag"],
        whole_tag,
        "other bytes, another tag"
    );
    let scaled = image::load_from_memory(&preview.bytes().await.unwrap()).unwrap();
    assert_eq!((scaled.width(), scaled.height()), (640, 400));

    // A small picture is its own preview.
    let (_, small) = upload(&server, &ann, &id, "dot.png", PNG.to_vec()).await;
    assert_eq!(small["preview_url"], Value::Null);
    let none = format!("{}/preview", small["url"].as_str().unwrap());
    assert_eq!(
        fetch(&server, &ann, &none, &[]).await.status(),
        StatusCode::NOT_FOUND
    );

    // Deleting the message takes the preview too.
    let (_, page) = server
        .by(&ann)
        .get(&format!("/api/conversations/{id}/messages"))
        .await;
    let message_id = page["messages"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = server
        .by(&ann)
        .delete(
            &format!("/api/conversations/{id}/messages/{message_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        fetch(&server, &bob, &preview_url, &[]).await.status(),
        StatusCode::NOT_FOUND
    );
    let (blobs, _, _) = stored_rows(&server).await;
    assert_eq!(blobs, before.0 + 1, "only the small unsent picture is left");
});
