//! The ports: the narrow traits through which the domain touches the world. Each has a Spin
//! implementation (chat-spin) and a native one (chat-native), checked by one shared
//! conformance suite (`testkit`).

mod blobs;
mod clock;
mod config;
mod inbox;
mod limiter;
mod random;
mod redis;
mod sql;

pub use blobs::{BlobStore, PART_BYTES};
pub use clock::{Clock, SystemClock};
pub use config::{Config, MapConfig};
pub use inbox::{
    APPEND_DEDUP_WINDOW, BusBackend, CursorStatus, Delivered, Envelope, EventId, Inbox,
    SETTLED_DEDUP_WINDOW,
};
pub use limiter::{Limiter, Rate, Verdict};
pub use random::{OsRandom, Random, random_hex, uuid_v7};
pub use redis::{RedisArg, RedisCommands, RedisReply};
pub use sql::{
    Columns, FromValue, Row, Sql, SqlTransaction, Value, WRITER_PRAGMAS, first_flag,
    host_sql_error, only_reads, refused_as_unsupported, step_of,
};
