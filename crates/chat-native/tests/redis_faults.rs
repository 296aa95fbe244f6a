//! The Redis inbox when Redis misbehaves: a Redis that lost its data yields a gap (so the
//! stream sends `resync`), and a blocking read on a connection that went silent ends.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use chat_core::{
    bus::RedisInbox,
    ids::UserId,
    ports::{CursorStatus, EventId, Inbox, RedisArg, RedisCommands},
    settings::Settings,
    testkit::note,
};
use chat_native::{redis::NativeRedis, testing::RedisServer};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

#[tokio::test]
async fn a_redis_that_lost_its_data_yields_a_gap_not_a_silent_resume() {
    let mut server = RedisServer::start();
    let redis = Arc::new(NativeRedis::new(&server.url()).unwrap());
    let inbox = RedisInbox::new(redis, &Settings::default(), "faults");
    let user = UserId::from_raw("u-lost");
    let users = [user.clone()];
    inbox.append(&users, &note(1)).await.unwrap();
    inbox.append(&users, &note(2)).await.unwrap();
    let cursor = inbox.latest(&user).await.unwrap();
    assert_eq!(
        inbox.cursor_status(&user, &cursor).await.unwrap(),
        CursorStatus::Resumable
    );

    // Restarted without persistence: every inbox is gone.
    server.restart();
    let mut status = Err(chat_core::Error::Bus("not asked yet".into()));
    for _ in 0..50 {
        status = inbox.cursor_status(&user, &cursor).await;
        if status.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status.unwrap(), CursorStatus::Gap, "the inbox is gone");

    // New events arrive after the loss: the old cursor still may not resume silently.
    inbox.append(&users, &note(3)).await.unwrap();
    assert_eq!(
        inbox.cursor_status(&user, &cursor).await.unwrap(),
        CursorStatus::Gap,
        "what came between the cursor and the loss is missing"
    );
    let fresh = inbox.latest(&user).await.unwrap();
    assert_eq!(
        inbox.cursor_status(&user, &fresh).await.unwrap(),
        CursorStatus::Resumable
    );
    assert_eq!(
        inbox
            .cursor_status(&user, &EventId("0-0".into()))
            .await
            .unwrap(),
        CursorStatus::Resumable,
        "a reader that started on an empty inbox has missed nothing retained"
    );
}

/// Copies `from` to `to` until `from` closes; while `silent` is set, bytes are read and
/// dropped.
async fn forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    silent: Arc<AtomicBool>,
) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = from.read(&mut buf).await {
        if n == 0 {
            break;
        }
        if !silent.load(Ordering::SeqCst) {
            let _ = to.write_all(&buf[..n]).await;
        }
    }
}

/// Forwards bytes between a client and Redis until `silent` is set; from then on it
/// swallows everything, as a connection whose peer vanished without a FIN would.
async fn silencing_proxy(redis_port: u16, silent: Arc<AtomicBool>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let upstream = TcpStream::connect(("127.0.0.1", redis_port)).await.unwrap();
            let (client_read, client_write) = client.into_split();
            let (up_read, up_write) = upstream.into_split();
            tokio::spawn(forward(client_read, up_write, silent.clone()));
            tokio::spawn(forward(up_read, client_write, silent.clone()));
        }
    });
    port
}

#[tokio::test]
async fn a_blocking_read_on_a_silent_connection_ends() {
    let server = RedisServer::start();
    let redis_port: u16 = server
        .url()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap();
    let silent = Arc::new(AtomicBool::new(false));
    let port = silencing_proxy(redis_port, silent.clone()).await;
    let redis = NativeRedis::new(&format!("redis://127.0.0.1:{port}")).unwrap();
    let read = |block_ms: i64| {
        let args: Vec<RedisArg> = vec![
            "BLOCK".into(),
            block_ms.into(),
            "STREAMS".into(),
            "chat:inbox:nobody".into(),
            "0-0".into(),
        ];
        redis.execute_blocking("XREAD", args)
    };
    // Healthy: the server answers when the block time is up.
    read(100).await.expect("a timed-out read is an empty reply");

    silent.store(true, Ordering::SeqCst);
    let started = Instant::now();
    let outcome = tokio::time::timeout(Duration::from_secs(30), read(200))
        .await
        .expect("the read ends by itself, well before the test gives up");
    assert!(outcome.is_err(), "no reply is an error: {outcome:?}");
    println!("gave up after {:?}", started.elapsed());
}
