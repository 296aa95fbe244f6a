//! Uploads refused whole (too big, over quota, too fast, damaged or lying) store nothing.

use super::*;

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
