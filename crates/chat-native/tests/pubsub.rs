//! Every event appended to Redis inboxes is also PUBLISHed once, with its recipients, on
//! the configured channel, for other services to subscribe to.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{sync::Arc, time::Duration};

use chat_core::{
    Ports,
    ids::UserId,
    ports::{OsRandom, RedisCommands},
    settings::Settings,
    vocabulary::Event,
};
use chat_native::{redis::NativeRedis, sqlite::NativeSql, testing::RedisServer, tokio_clock};
use futures::StreamExt;

/// One pub/sub message's payload, or `None` after 5 s.
async fn next_message(pubsub: &mut redis::aio::PubSub) -> Option<String> {
    let mut messages = pubsub.on_message();
    let message = tokio::time::timeout(Duration::from_secs(5), messages.next())
        .await
        .ok()??;
    message.get_payload::<String>().ok()
}

#[tokio::test]
async fn appends_are_published_once_with_their_recipients() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let sql = Arc::new(NativeSql::open(&dir.path().join("t.db")).unwrap());
    chat_core::migrations::migrate(sql.as_ref()).await.unwrap();
    let settings = Settings {
        pubsub_channel: "test-events".into(),
        ..Settings::default()
    };
    let redis: Arc<dyn RedisCommands> = Arc::new(NativeRedis::new(&server.url()).unwrap());
    let ports = Ports::assemble(
        sql,
        Some(redis),
        Arc::new(tokio_clock()),
        Arc::new(OsRandom),
        Arc::new(settings),
    );

    let client = redis::Client::open(server.url()).unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.subscribe("test-events").await.unwrap();

    let mut body = serde_json::Map::new();
    body.insert("hello".to_owned(), "world".into());
    let event = Event::notification(body);
    ports
        .inbox
        .append(
            &["u1", "u2", "u1"].map(UserId::from_raw),
            &event.envelope().unwrap(),
        )
        .await
        .unwrap();

    let payload = next_message(&mut pubsub)
        .await
        .expect("a published message");
    let published: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(published["recipients"], serde_json::json!(["u1", "u2"]));
    assert_eq!(published["event"]["kind"], "notification");
    assert_eq!(published["event"]["data"]["hello"], "world");
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(pubsub);
}
