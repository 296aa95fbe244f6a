//! The `RedisCommands` port on `spin_sdk::redis` (spin-sdk 6, `spin:redis@3.0.0`: async
//! calls). The host already flattens replies, so this only converts types.
//!
//! The instance keeps its connections across the requests Spin reuses it for. Commands
//! share one connection: the host pipelines concurrent commands on it (a multiplexed
//! connection), so requests do not wait for each other. A blocking read gets a connection
//! of its own, borrowed for the read: on one connection a blocked `XREAD` holds up every
//! reply after it (a PING waited 4.5 s). A connection that failed is closed and the next
//! command opens a new one; a read cancelled mid-BLOCK (its stream's client left) drops
//! its connection, since a reply may still be on its way.

use std::sync::{Arc, Mutex};

use chat_core::{
    Error, Result,
    ports::{RedisArg, RedisCommands, RedisReply},
};
use spin_sdk::redis::{Connection, RedisParameter, RedisResult};

/// Idle blocking-read connections kept for the next reads.
const IDLE_BLOCKING_KEPT: usize = 4;

/// Redis at one URL, connected on first use and kept by the instance.
pub struct SpinRedis {
    url: String,
    shared: Mutex<Option<Arc<Connection>>>,
    blocking: Mutex<Vec<Connection>>,
}

impl SpinRedis {
    /// A client for `url`; nothing connects until a command is sent.
    pub fn new(url: String) -> Self {
        SpinRedis {
            url,
            shared: Mutex::new(None),
            blocking: Mutex::new(Vec::new()),
        }
    }

    async fn open(&self) -> Result<Connection> {
        Connection::open(&self.url).await.map_err(bus_error)
    }

    /// The shared command connection, opened on first need.
    async fn shared(&self) -> Result<Arc<Connection>> {
        if let Some(conn) = self.shared.lock().map_err(poisoned)?.clone() {
            return Ok(conn);
        }
        let opened = Arc::new(self.open().await?);
        // Another request may have opened one meanwhile: keep the first, so all share it.
        let mut slot = self.shared.lock().map_err(poisoned)?;
        Ok(slot.get_or_insert(opened).clone())
    }

    /// Forgets `failed` as the shared connection (if it still is), so the next command
    /// opens a fresh one.
    fn discard_shared(&self, failed: &Arc<Connection>) {
        if let Ok(mut slot) = self.shared.lock()
            && slot.as_ref().is_some_and(|conn| Arc::ptr_eq(conn, failed))
        {
            slot.take();
        }
    }
}

fn bus_error(e: impl std::fmt::Debug) -> Error {
    Error::Bus(format!("{e:?}"))
}

fn poisoned<T>(_: T) -> Error {
    Error::Bus("Redis connection lock poisoned".into())
}

fn to_spin(arg: RedisArg) -> RedisParameter {
    match arg {
        RedisArg::Int(i) => RedisParameter::Int64(i),
        RedisArg::Bytes(b) => RedisParameter::Binary(b),
    }
}

fn from_spin(result: RedisResult) -> RedisReply {
    match result {
        RedisResult::Nil => RedisReply::Nil,
        RedisResult::Status(s) => RedisReply::Status(s),
        RedisResult::Int64(i) => RedisReply::Int(i),
        RedisResult::Binary(b) => RedisReply::Bytes(b),
    }
}

async fn run(conn: &Connection, command: &str, args: Vec<RedisArg>) -> Result<Vec<RedisReply>> {
    let results = conn
        .execute(command, args.into_iter().map(to_spin))
        .await
        .map_err(bus_error)?;
    Ok(results.into_iter().map(from_spin).collect())
}

/// Whether a command failed because its connection did (Redis restarted or went away while
/// the instance kept the connection), not because Redis refused it: the host reports the
/// client library's I/O errors as text.
fn connection_lost(error: &Error) -> bool {
    let Error::Bus(detail) = error else {
        return false;
    };
    let detail = detail.to_ascii_lowercase();
    [
        "os error",
        "broken pipe",
        "terminated",
        "connection reset",
        "connection closed",
        "eof",
    ]
    .iter()
    .any(|sign| detail.contains(sign))
}

#[async_trait::async_trait]
impl RedisCommands for SpinRedis {
    /// On the shared connection. A connection kept from an earlier request may have died
    /// with a Redis that restarted since: then the command is sent once more, on a fresh
    /// connection (it never reached Redis), instead of failing this request too.
    async fn execute(&self, command: &str, args: Vec<RedisArg>) -> Result<Vec<RedisReply>> {
        let conn = self.shared().await?;
        let result = run(&conn, command, args.clone()).await;
        let Err(error) = result else {
            return result;
        };
        self.discard_shared(&conn);
        if !connection_lost(&error) {
            return Err(error);
        }
        let fresh = self.shared().await?;
        let retried = run(&fresh, command, args).await;
        if retried.is_err() {
            self.discard_shared(&fresh);
        }
        retried
    }

    /// On a connection of its own; a kept one that died is replaced once, as above.
    async fn execute_blocking(
        &self,
        command: &str,
        args: Vec<RedisArg>,
    ) -> Result<Vec<RedisReply>> {
        let idle = self.blocking.lock().map_err(poisoned)?.pop();
        let (conn, replies) = match idle {
            Some(kept) => match run(&kept, command, args.clone()).await {
                Err(error) if connection_lost(&error) => {
                    let fresh = self.open().await?;
                    let replies = run(&fresh, command, args).await?;
                    (fresh, replies)
                }
                result => (kept, result?),
            },
            None => {
                let fresh = self.open().await?;
                let replies = run(&fresh, command, args).await?;
                (fresh, replies)
            }
        };
        if let Ok(mut idle) = self.blocking.lock()
            && idle.len() < IDLE_BLOCKING_KEPT
        {
            idle.push(conn);
        }
        Ok(replies)
    }
}
