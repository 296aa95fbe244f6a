//! Raw Redis commands with replies flattened the way Spin's host flattens them, so the
//! Redis-backed inbox and limiter (in `bus`) are written once and run the same everywhere.

use crate::Result;

/// An argument of a Redis command.
#[derive(Debug, Clone, PartialEq)]
pub enum RedisArg {
    /// Sent as its decimal text.
    Int(i64),
    /// Sent as a bulk string.
    Bytes(Vec<u8>),
}

impl From<&str> for RedisArg {
    fn from(v: &str) -> Self {
        RedisArg::Bytes(v.as_bytes().to_vec())
    }
}
impl From<String> for RedisArg {
    fn from(v: String) -> Self {
        RedisArg::Bytes(v.into_bytes())
    }
}
impl From<i32> for RedisArg {
    fn from(v: i32) -> Self {
        RedisArg::Int(i64::from(v))
    }
}
impl From<i64> for RedisArg {
    fn from(v: i64) -> Self {
        RedisArg::Int(v)
    }
}

/// One element of a flattened Redis reply.
///
/// Spin's `execute` flattens nested arrays depth-first into one list, keeps nil as
/// [`RedisReply::Nil`] (a timed-out `XREAD BLOCK` is a single `Nil`) and reports `OK` as a
/// status. Native adapters must flatten identically.
#[derive(Debug, Clone, PartialEq)]
pub enum RedisReply {
    /// A nil bulk string or nil array.
    Nil,
    /// A simple-string reply such as `OK` or `PONG`.
    Status(String),
    /// An integer reply.
    Int(i64),
    /// A bulk-string reply.
    Bytes(Vec<u8>),
}

impl RedisReply {
    /// The reply as UTF-8 text, if it is a bulk or status string.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            RedisReply::Bytes(b) => std::str::from_utf8(b).ok(),
            RedisReply::Status(s) => Some(s),
            _ => None,
        }
    }

    /// The reply as an integer, if it is one (or a bulk string holding one).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            RedisReply::Int(i) => Some(*i),
            RedisReply::Bytes(b) => std::str::from_utf8(b).ok()?.parse().ok(),
            _ => None,
        }
    }
}

/// Sends Redis commands. Errors are [`crate::Error::Bus`].
#[async_trait::async_trait]
pub trait RedisCommands: Send + Sync {
    /// Runs a command on the shared connection.
    async fn execute(&self, command: &str, args: Vec<RedisArg>) -> Result<Vec<RedisReply>>;
    /// Runs a command that may block in the server (`XREAD BLOCK`) on a connection of its
    /// own: a blocked connection would hold up every other command queued behind it.
    async fn execute_blocking(&self, command: &str, args: Vec<RedisArg>)
    -> Result<Vec<RedisReply>>;
}
