//! `/api/openapi.json` held to the router both ways: every documented operation reaches a
//! handler (not the router's fallback), and every route the routers declare is documented.

use std::collections::BTreeSet;

use chat_core::settings::Settings;
use chat_tests::{Backend, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The `(method, path)` pairs of the document's operations.
fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = item.as_object().expect("path item");
            methods
                .keys()
                .filter(|m| METHODS.contains(&m.as_str()))
                .map(|m| (m.clone(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The `(method, path)` pairs the routers declare, read from `.route("path", get(..).post(..))`
/// in chat-http's source: the routers are built only there.
fn declared() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/chat-http/src");
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(dir).expect("chat-http sources") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let source = std::fs::read_to_string(&path).expect("source");
        for call in source.split(".route(").skip(1) {
            let Some(rest) = call.trim_start().strip_prefix('"') else {
                continue;
            };
            // (Unit tests in chat-http build small routers of their own, off `/api`.)
            let Some((route, handlers)) =
                rest.split_once('"').filter(|(r, _)| r.starts_with("/api"))
            else {
                continue;
            };
            // The handlers run to the call's closing parenthesis.
            let mut depth = 1;
            let end = handlers
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(handlers.len(), |(i, _)| i);
            let handlers = &handlers[..end];
            for method in METHODS {
                let called = handlers.match_indices(&format!("{method}(")).any(|(i, _)| {
                    i == 0
                        || !handlers[..i]
                            .chars()
                            .last()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_')
                });
                if called {
                    found.insert((method.to_owned(), route.to_owned()));
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn every_route_is_documented_and_every_documented_operation_is_routed() {
    // With a publish key, so the publish route is on (without one it answers as no route).
    let settings = Settings {
        publish_key: Some("openapi-test-publish-key-0123456789-abcdefghijklmnop".into()),
        ..Settings::default()
    };
    let server = TestServer::start_with(Backend::Sqlite, settings).await;
    let response = server.get("/api/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    let document: Value = response.json().await.expect("json");
    assert_eq!(document["openapi"], "3.1.0");
    let documented = documented(&document);
    let declared = declared();
    assert!(declared.len() > 60, "the source was read: {declared:?}");
    let undocumented: Vec<_> = declared.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );

    // Each documented operation, with stand-in path values and no credentials, reaches its
    // handler: anything but the router's own "route not found" or a 405.
    let client = reqwest::Client::new();
    for (method, path) in &documented {
        let concrete = path
            .replace("{emoji}", "%F0%9F%91%8D")
            .split('/')
            .map(|part| if part.starts_with('{') { "x" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let response = client
            .request(method.clone(), server.url(&concrete))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .expect("request");
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert!(
            !(status == StatusCode::NOT_FOUND && body.contains("route not found")),
            "{method} {path} is documented but not routed"
        );
    }
}
