//! The ports: the narrow traits through which the domain touches the world. Each has a Spin
//! implementation (chat-spin) and a native one (chat-native), checked by one shared
//! conformance suite (`testkit`).

mod clock;
mod config;
mod inbox;
mod limiter;
mod random;
mod redis;
mod sql;

use std::sync::Arc;

pub use clock::{Clock, SystemClock};
pub use config::{Config, MapConfig};
pub use inbox::{
    APPEND_DEDUP_WINDOW, BusBackend, CursorStatus, Delivered, Ephemeral, Event, EventId, EventKind,
    Inbox, SETTLED_DEDUP_WINDOW,
};
pub use limiter::{Limiter, Rate, Verdict};
pub use random::{OsRandom, Random};
pub use redis::{RedisArg, RedisCommands, RedisReply};
pub use sql::{FromValue, Row, Sql, SqlTransaction, Value, WRITER_PRAGMAS};

use crate::settings::Settings;

/// Everything a request handler needs from the outside world, bundled.
///
/// Cheap to clone. Built once per process on the native host and once per request on Spin
/// (where nothing outlives a request).
#[derive(Clone)]
pub struct Ports {
    /// The SQLite store.
    pub sql: Arc<dyn Sql>,
    /// Per-user event inboxes (Redis Streams or the SQLite table).
    pub inbox: Arc<dyn Inbox>,
    /// Rate limiting counters.
    pub limiter: Arc<dyn Limiter>,
    /// Wall clock and sleeping.
    pub clock: Arc<dyn Clock>,
    /// Randomness for ids and tokens.
    pub random: Arc<dyn Random>,
    /// Parsed settings.
    pub settings: Arc<Settings>,
}
