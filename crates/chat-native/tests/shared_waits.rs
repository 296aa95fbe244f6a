//! The streams of one process share their waiting (chat-core's `bus::SharedWaits`): many
//! open streams cost a few blocking reads, not one each. Counted on a real Redis, through
//! the ports as the host assembles them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use chat_core::{
    Ports, Result,
    ids::UserId,
    ports::{OsRandom, RedisArg, RedisCommands, RedisReply},
    settings::Settings,
    testkit::{note, note_number},
};
use chat_native::{redis::NativeRedis, sqlite::NativeSql, testing::RedisServer, tokio_clock};

/// Redis, counting the blocking reads sent.
struct CountingBlockingReads {
    redis: NativeRedis,
    blocking: AtomicUsize,
}

#[async_trait::async_trait]
impl RedisCommands for CountingBlockingReads {
    async fn execute(&self, command: &str, args: Vec<RedisArg>) -> Result<Vec<RedisReply>> {
        self.redis.execute(command, args).await
    }

    async fn execute_blocking(
        &self,
        command: &str,
        args: Vec<RedisArg>,
    ) -> Result<Vec<RedisReply>> {
        self.blocking.fetch_add(1, Ordering::SeqCst);
        self.redis.execute_blocking(command, args).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_waiting_streams_share_a_few_blocking_reads_per_event() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let sql = Arc::new(NativeSql::open(&dir.path().join("test.db")).unwrap());
    chat_core::migrations::migrate(sql.as_ref()).await.unwrap();
    let redis = Arc::new(CountingBlockingReads {
        redis: NativeRedis::new(&server.url()).unwrap(),
        blocking: AtomicUsize::new(0),
    });
    let ports = Ports::assemble(
        sql,
        Some(redis.clone()),
        Arc::new(tokio_clock()),
        Arc::new(OsRandom),
        Arc::new(Settings::default()),
    );
    let users: Vec<UserId> = (0..50)
        .map(|i| UserId::from_raw(format!("shared-{i}")))
        .collect();
    // Two waves, as streams loop: each waits, gets an event, waits again from there.
    let mut reads = Vec::new();
    for user in &users {
        let mut cursor = ports.inbox.latest(user).await.unwrap();
        let inbox = ports.inbox.clone();
        let user = user.clone();
        reads.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for _ in 0..2 {
                let batch = inbox
                    .read(&user, &cursor, Duration::from_secs(30), 100)
                    .await
                    .unwrap();
                if let Some(last) = batch.last() {
                    cursor = last.id.clone();
                }
                got.extend(batch.iter().map(note_number));
            }
            got
        }));
    }
    // Every stream has joined the group before the first event is sent: joining costs a
    // ring and a restarted round each (the round waiting meanwhile does not read the
    // newcomer's inbox), counted apart from what the events cost.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after_joining = redis.blocking.load(Ordering::SeqCst);
    ports.inbox.append(&users, &note(1)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    ports.inbox.append(&users, &note(2)).await.unwrap();
    for read in reads {
        let got = tokio::time::timeout(Duration::from_secs(20), read)
            .await
            .expect("every stream got both events")
            .unwrap();
        assert_eq!(got, [1, 2]);
    }
    let for_events = redis.blocking.load(Ordering::SeqCst) - after_joining;
    eprintln!("blocking reads: {after_joining} joining, {for_events} for the events");
    // Each event wakes one round for all 50; the streams it woke come back together and
    // start the next round, ringing at most a few times between them.
    assert!(
        for_events <= 12,
        "two events to 50 waiting streams took {for_events} blocking reads (100 without sharing)"
    );
}
