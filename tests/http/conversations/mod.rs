//! The conversations component over HTTP: direct conversations, rooms, messages with
//! idempotent sends and gapless seqs under concurrency, history pages, edits, tombstones,
//! typing, read marks and unread counts, with the events each appends, on both backends:
//! one file per subject, the shared helpers here.

mod attachments;
mod direct;
mod messages;
mod moderation;
mod receipts;
mod rooms;
mod search;

use std::collections::BTreeSet;

use chat_core::settings::Settings;
use chat_tests::{
    PNG, Person, TestServer, assert_error, befriend, both_backends, call, data, kinds, person, room,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn send(
    server: &TestServer,
    who: &Person,
    conversation: &str,
    body: &str,
    client_id: &str,
) -> (StatusCode, Value) {
    server
        .by(who)
        .post(
            &format!("/api/conversations/{conversation}/messages"),
            json!({"body": body, "client_id": client_id}),
        )
        .await
}

async fn open_direct(server: &TestServer, who: &Person, with: &str) -> (StatusCode, Value) {
    server
        .by(who)
        .post("/api/conversations/direct", json!({"username": with}))
        .await
}
