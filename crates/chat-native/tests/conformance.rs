//! Runs chat-core's shared conformance suites against every native implementation:
//! rusqlite for `Sql`; the SQLite and Redis inboxes; the SQLite and Redis limiters; the
//! SQL blob store.
//! Redis is a real redis-server started per test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chat_core::{
    Ports,
    ports::{BlobStore, Clock, Inbox, Limiter, OsRandom, RedisCommands, Sql},
    settings::Settings,
    testkit::{FixedClock, conformance::Fixture},
};
use chat_native::{redis::NativeRedis, sqlite::NativeSql, testing::RedisServer, tokio_clock};

fn fresh_sql() -> (Arc<NativeSql>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let sql = Arc::new(NativeSql::open(&dir.path().join("test.db")).unwrap());
    (sql, dir)
}

async fn ports(
    redis: Option<&RedisServer>,
    settings: Settings,
    clock: Arc<dyn Clock>,
) -> (Ports, tempfile::TempDir) {
    let (sql, dir) = fresh_sql();
    chat_core::migrations::migrate(sql.as_ref()).await.unwrap();
    let redis: Option<Arc<dyn RedisCommands>> =
        redis.map(|r| Arc::new(NativeRedis::new(&r.url()).unwrap()) as Arc<dyn RedisCommands>);
    let ports = Ports::assemble(sql, redis, clock, Arc::new(OsRandom), Arc::new(settings));
    (ports, dir)
}

mod rusqlite_sql {
    use super::*;

    async fn make() -> Fixture<dyn Sql> {
        let (sql, dir) = fresh_sql();
        Fixture {
            port: sql,
            clock: Arc::new(tokio_clock()),
            guard: Box::new(dir),
        }
    }

    chat_core::sql_conformance_tests!(make);
}

mod sqlite_inbox {
    use super::*;

    async fn make(settings: Settings) -> Fixture<dyn Inbox> {
        let clock: Arc<dyn Clock> = Arc::new(tokio_clock());
        let (ports, dir) = ports(None, settings, clock.clone()).await;
        Fixture {
            port: ports.inbox,
            clock,
            guard: Box::new(dir),
        }
    }

    chat_core::inbox_conformance_tests!(make);
}

mod redis_inbox {
    use super::*;

    async fn make(settings: Settings) -> Fixture<dyn Inbox> {
        let server = RedisServer::start();
        let clock: Arc<dyn Clock> = Arc::new(tokio_clock());
        let (ports, dir) = ports(Some(&server), settings, clock.clone()).await;
        Fixture {
            port: ports.inbox,
            clock,
            guard: Box::new((server, dir)),
        }
    }

    chat_core::inbox_conformance_tests!(make);
}

mod sqlite_limiter {
    use super::*;

    async fn make(clock: Arc<FixedClock>) -> Fixture<dyn Limiter> {
        let (ports, dir) = ports(None, Settings::default(), clock.clone()).await;
        Fixture {
            port: ports.limiter,
            clock,
            guard: Box::new(dir),
        }
    }

    chat_core::limiter_conformance_tests!(make);
}

mod redis_limiter {
    use super::*;

    async fn make(clock: Arc<FixedClock>) -> Fixture<dyn Limiter> {
        let server = RedisServer::start();
        let (ports, dir) = ports(Some(&server), Settings::default(), clock.clone()).await;
        Fixture {
            port: ports.limiter,
            clock,
            guard: Box::new((server, dir)),
        }
    }

    chat_core::limiter_conformance_tests!(make);
}

mod sql_blobs {
    use super::*;

    async fn make(clock: Arc<FixedClock>) -> Fixture<dyn BlobStore> {
        let (ports, dir) = ports(None, Settings::default(), clock.clone()).await;
        Fixture {
            port: ports.blobs,
            clock,
            guard: Box::new(dir),
        }
    }

    chat_core::blobs_conformance_tests!(make);
}

mod row_readers {
    use super::*;

    async fn migrated() -> (Ports, tempfile::TempDir) {
        ports(None, Settings::default(), Arc::new(tokio_clock())).await
    }

    #[tokio::test]
    async fn a_user_reads_back_as_stored() {
        let (ports, _dir) = migrated().await;
        chat_core::testkit::conformance::rows::a_user_reads_back_as_stored(&ports).await;
    }

    #[tokio::test]
    async fn a_summary_reads_back_as_a_friend_sees_it() {
        let (ports, _dir) = migrated().await;
        chat_core::testkit::conformance::rows::a_summary_reads_back_as_a_friend_sees_it(&ports)
            .await;
    }

    #[tokio::test]
    async fn a_message_and_its_conversation_read_back_as_sent() {
        let (ports, _dir) = migrated().await;
        chat_core::testkit::conformance::rows::a_message_and_its_conversation_read_back_as_sent(
            &ports,
        )
        .await;
    }
}
