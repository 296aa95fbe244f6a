//! Files on messages: uploads sniffed and streamed into the blob store, sent by a message
//! exactly once, served to members only (typed by their bytes, inline only for raster
//! images, with ranges and caching), refused whole when too big, over quota, too fast,
//! damaged or lying, and gone with their message.

use super::*;

/// `len` bytes that are not text and differ along the file, so a misplaced range shows.
fn binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7 + i / 251) % 256) as u8).collect()
}

/// `text` percent-encoded for a query string.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Uploads `bytes` named `name` into `conversation` as `who`.
async fn upload(
    server: &TestServer,
    who: &Person,
    conversation: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let path = format!(
        "/api/conversations/{conversation}/attachments?name={}",
        encoded(name)
    );
    // A refusal before the body is read (413 on the declared length) ends the connection
    // with the body unread, so no upload shares a connection with the next request.
    let response = server
        .authed(Method::POST, &path, &who.token)
        .header("content-type", "application/octet-stream")
        .header("connection", "close")
        .body(bytes)
        .send()
        .await
        .expect("upload");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// GETs `url` as `who` with extra headers: the response.
async fn fetch(
    server: &TestServer,
    who: &Person,
    url: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = server.authed(Method::GET, url, &who.token);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.expect("download")
}

/// Sends a message carrying `attachments` with `body`.
async fn send_files(
    server: &TestServer,
    who: &Person,
    conversation: &str,
    body: &str,
    attachments: &[&Value],
    client_id: &str,
) -> (StatusCode, Value) {
    let ids: Vec<&Value> = attachments.iter().map(|a| &a["id"]).collect();
    call(
        server,
        who,
        Method::POST,
        &format!("/api/conversations/{conversation}/messages"),
        Some(json!({"body": body, "client_id": client_id, "attachments": ids})),
    )
    .await
}

/// Rows of the blob store and of attachments, to see that a refusal stored nothing.
async fn stored_rows(server: &TestServer) -> (i64, i64, i64) {
    let count = |table: &'static str| async move {
        let rows = server
            .ports
            .sql
            .query(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .unwrap();
        rows[0].get::<i64>(0).unwrap()
    };
    (
        count("blobs").await,
        count("blob_parts").await,
        count("attachments").await,
    )
}

both_backends!(
    an_image_is_sniffed_sent_once_and_served_to_members_only,
    |backend| {
        let server = TestServer::start(backend).await;
        let ann = person(&server, "ann").await;
        let bob = person(&server, "bob").await;
        let eve = person(&server, "eve").await;
        let id = room(&server, &ann, "pics", &[&bob]).await;

        let (status, image) = upload(&server, &ann, &id, "holiday.bin", PNG.to_vec()).await;
        assert_eq!(status, StatusCode::CREATED, "{image}");
        assert_eq!(image["content_type"], "image/png", "typed by its bytes");
        assert_eq!(
            (image["width"].clone(), image["height"].clone()),
            (json!(3), json!(2))
        );
        assert_eq!(image["size"], PNG.len());
        assert_eq!(image["name"], "holiday.bin");
        let url = image["url"].as_str().unwrap().to_owned();
        assert_eq!(
            url,
            format!(
                "/api/conversations/{id}/attachments/{}",
                image["id"].as_str().unwrap()
            )
        );
        // Before it is sent, only its uploader sees it.
        assert_eq!(
            fetch(&server, &ann, &url, &[]).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            fetch(&server, &bob, &url, &[]).await.status(),
            StatusCode::NOT_FOUND
        );

        // Files need no words; a retry is the same message, never a second.
        let (status, sent) = send_files(&server, &ann, &id, "", &[&image], "f1").await;
        assert_eq!(status, StatusCode::CREATED, "{sent}");
        assert_eq!(sent["body"], "");
        assert_eq!(sent["attachments"][0]["id"], image["id"]);
        let (status, again) = send_files(&server, &ann, &id, "", &[&image], "f1").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again["id"], sent["id"]);
        assert_eq!(again["attachments"], sent["attachments"]);
        // Sent once: no second message carries it, and nobody else's message can.
        let (status, body) = send_files(&server, &ann, &id, "again", &[&image], "f2").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&body, "invalid_attachment");
        let (status, body) = send_files(&server, &bob, &id, "mine now", &[&image], "b1").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_error(&body, "invalid_attachment");
        let (status, body) = send(&server, &ann, &id, "", "f3").await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "no words and no files");
        assert_error(&body, "invalid_body");

        // A member gets the bytes, typed and inline, cached privately, never sniffed.
        let response = fetch(&server, &bob, &url, &[]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("content-type"), "image/png");
        assert!(
            header("content-disposition").starts_with("inline; "),
            "{}",
            header("content-disposition")
        );
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("accept-ranges"), "bytes");
        assert!(header("cache-control").starts_with("private"));
        assert!(header("content-security-policy").contains("sandbox"));
        let etag = header("etag");
        assert!(etag.starts_with('"'), "{etag}");
        assert_eq!(response.bytes().await.unwrap().as_ref(), PNG);
        let unchanged = fetch(&server, &bob, &url, &[("if-none-match", &etag)]).await;
        assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
        // Someone outside the room finds nothing, and history carries the file.
        assert_eq!(
            fetch(&server, &eve, &url, &[]).await.status(),
            StatusCode::NOT_FOUND
        );
        let (_, page) = call(
            &server,
            &bob,
            Method::GET,
            &format!("/api/conversations/{id}/messages"),
            None,
        )
        .await;
        assert_eq!(page["messages"][0]["attachments"][0]["url"], url.as_str());
    }
);

both_backends!(a_big_file_streams_in_parts_and_serves_ranges, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let id = room(&server, &ann, "files", &[]).await;
    let bytes = binary(1024 * 1024 + 17);
    let (status, file) = upload(&server, &ann, &id, "data.bin", bytes.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{file}");
    assert_eq!(file["content_type"], "application/octet-stream");
    assert_eq!(file["width"], Value::Null);
    let (_, parts, _) = stored_rows(&server).await;
    assert_eq!(parts, 5, "four whole parts of 256 KiB and the rest");
    let url = file["url"].as_str().unwrap().to_owned();

    let whole = fetch(&server, &ann, &url, &[]).await;
    assert_eq!(
        whole.headers()["content-disposition"].to_str().unwrap(),
        "attachment; filename=\"data.bin\"; filename*=UTF-8''data.bin"
    );
    assert_eq!(whole.bytes().await.unwrap().as_ref(), bytes.as_slice());
    for (range, start, end) in [
        ("bytes=300000-600000", 300_000, 600_001),
        ("bytes=-10", bytes.len() - 10, bytes.len()),
        ("bytes=1048575-", 1_048_575, bytes.len()),
    ] {
        let part = fetch(&server, &ann, &url, &[("range", range)]).await;
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT, "{range}");
        assert_eq!(
            part.headers()["content-range"].to_str().unwrap(),
            format!("bytes {start}-{}/{}", end - 1, bytes.len())
        );
        assert_eq!(
            part.bytes().await.unwrap().as_ref(),
            &bytes[start..end],
            "{range}"
        );
    }
    let past = fetch(&server, &ann, &url, &[("range", "bytes=9999999-")]).await;
    assert_eq!(past.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    // A page is only ever bytes to save.
    let page = b"<!DOCTYPE html><script>alert(1)</script>".to_vec();
    let (status, html) = upload(&server, &ann, &id, "page.html", page).await;
    assert_eq!(status, StatusCode::CREATED, "{html}");
    let served = fetch(&server, &ann, html["url"].as_str().unwrap(), &[]).await;
    assert_eq!(served.headers()["content-type"], "application/octet-stream");
    assert!(
        served.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
});

both_backends!(refused_uploads_store_nothing, |backend| {
    let settings = Settings {
        attachment_max_bytes: 600 * 1024,
        storage_per_user_bytes: 1024 * 1024,
        ..Settings::default()
    };
    let server = TestServer::start_with(backend, settings).await;
    let ann = person(&server, "ann").await;
    let id = room(&server, &ann, "limits", &[]).await;
    let before = stored_rows(&server).await;
    let mut cut = PNG.to_vec();
    cut.truncate(PNG.len() - 6);
    for (name, bytes, status, code) in [
        (
            "big.bin",
            binary(600 * 1024 + 1),
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
        ),
        ("cut.png", cut, StatusCode::BAD_REQUEST, "corrupt_image"),
        (
            "cat.png",
            b"<svg onload=alert(1)>".to_vec(),
            StatusCode::BAD_REQUEST,
            "type_mismatch",
        ),
        (
            "empty.txt",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "empty_file",
        ),
        (
            "evil\u{202E}gnp.exe",
            binary(10),
            StatusCode::BAD_REQUEST,
            "invalid_file_name",
        ),
        ("", binary(10), StatusCode::BAD_REQUEST, "invalid_file_name"),
    ] {
        let (got, body) = upload(&server, &ann, &id, name, bytes).await;
        assert_eq!(got, status, "{name:?}: {body}");
        assert_error(&body, code);
        assert_eq!(
            stored_rows(&server).await,
            before,
            "{name:?} stored nothing"
        );
    }
    // Too big without a declared length: the stream is cut at the limit.
    let path = format!("/api/conversations/{id}/attachments?name=stream.bin");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..20).map(|_| Ok(binary(64 * 1024))).collect();
    let response = server
        .authed(Method::POST, &path, &ann.token)
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        stored_rows(&server).await,
        before,
        "a cut stream stored nothing"
    );

    // The quota: 1 MiB in all, so a second file of 600 KiB does not fit.
    let (status, _) = upload(&server, &ann, &id, "one.bin", binary(600 * 1024)).await;
    assert_eq!(status, StatusCode::CREATED);
    let after_one = stored_rows(&server).await;
    let (status, body) = upload(&server, &ann, &id, "two.bin", binary(600 * 1024)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&body, "quota_exceeded");
    assert_eq!(stored_rows(&server).await, after_one);
    // Someone outside the conversation uploads nothing into it.
    let eve = person(&server, "eve").await;
    let (status, _) = upload(&server, &eve, &id, "x.bin", binary(10)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
});

both_backends!(uploads_are_rate_limited, |backend| {
    let server = TestServer::start(backend).await;
    let ann = person(&server, "ann").await;
    let id = room(&server, &ann, "rate", &[]).await;
    let mut statuses = Vec::new();
    for i in 0..12 {
        let (status, _) = upload(&server, &ann, &id, &format!("f{i}.bin"), binary(100)).await;
        statuses.push(status);
    }
    assert!(
        statuses[..10].iter().all(|s| *s == StatusCode::CREATED),
        "{statuses:?}"
    );
    assert_eq!(statuses[11], StatusCode::TOO_MANY_REQUESTS);
});

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

    let (status, _) = call(
        &server,
        &ann,
        Method::DELETE,
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
    let (_, page) = call(
        &server,
        &bob,
        Method::GET,
        &format!("/api/conversations/{id}/messages"),
        None,
    )
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
    let (_, page) = call(
        &server,
        &ann,
        Method::GET,
        &format!("/api/conversations/{id}/messages"),
        None,
    )
    .await;
    let message_id = page["messages"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        &server,
        &ann,
        Method::DELETE,
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
