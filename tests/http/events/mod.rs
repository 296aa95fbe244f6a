//! The events component over real HTTP streaming: delivery to the right users and tabs,
//! exact resume, resync, heartbeats, self-ending streams, presence without ghosts, typing
//! that is never replayed, and the publish API, on both bus backends.

mod presence;
mod publish;
mod sessions;
mod streams;

use std::time::{Duration, Instant};

use chat_core::settings::Settings;
use chat_tests::{
    Next, SseFrame, TestServer, assert_error, befriend, both_backends, json, person, room,
};
use reqwest::StatusCode;
use serde_json::json;

const KEY: &str = "test-publish-key-0123456789-abcdefghijklmnopqrstuvwxyz";
const WAIT: Duration = Duration::from_secs(10);

fn settings() -> Settings {
    Settings {
        publish_key: Some(KEY.into()),
        ..Settings::default()
    }
}

async fn publish(
    server: &TestServer,
    username: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    server
        .client
        .post(server.url(&format!("/api/publish/{username}")))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .unwrap()
}
