//! Files on messages: uploads sniffed and streamed into the blob store, sent by a message
//! exactly once, served to members only (typed by their bytes, inline only for raster
//! images, with ranges and caching), refused whole when too big, over quota, too fast,
//! damaged or lying, and gone with their message.

mod lifecycle;
mod refusals;

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
    server
        .by(who)
        .post(
            &format!("/api/conversations/{conversation}/messages"),
            json!({"body": body, "client_id": client_id, "attachments": ids}),
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
        let (_, page) = server
            .by(&bob)
            .get(&format!("/api/conversations/{id}/messages"))
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
