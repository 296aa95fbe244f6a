//! The conformance suites: one file of cases per port (sql.rs, inbox.rs, limiter.rs,
//! blobs.rs), run by each native implementation
//! through the `*_conformance_tests!` macros (rusqlite; SQLite and Redis inboxes and
//! limiters). A case that passes here behaves the same on Spin, where the SQL and Lua text
//! is identical and only the transport differs.

use std::{any::Any, future::Future, sync::Arc, time::Duration};

use crate::{
    Error,
    migrations::{self, MIGRATIONS},
    ports::{Clock, CursorStatus, EventId, Inbox, Limiter, Rate, Sql, Value, Verdict},
    settings::Settings,
};

use super::FixedClock;

pub mod blobs;
pub mod inbox;
pub mod inbox_waits;
pub mod limiter;
pub mod rows;
pub mod sql;

/// A port under test, the clock it uses, and whatever must stay alive meanwhile (a Redis
/// server, a temporary directory).
pub struct Fixture<T: ?Sized> {
    pub port: Arc<T>,
    pub clock: Arc<dyn Clock>,
    pub guard: Box<dyn Any + Send + Sync>,
}

/// A name unique to one test (a user, a limiter key), so suites may share a backend.
fn unique(name: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("{name}-{}-{n}", std::process::id())
}

/// A user id no other case (or earlier run against the same Redis) uses.
fn user(name: &str) -> crate::ids::UserId {
    crate::ids::UserId::from_raw(unique(name))
}

#[macro_export]
#[doc(hidden)]
macro_rules! __conformance_cases {
    ($suite:ident, $make:path, [$($case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $crate::testkit::conformance::$suite::$case($make).await;
            }
        )*
    };
}
