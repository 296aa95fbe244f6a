//! The `RedisCommands` port on `spin_sdk_wasip2::redis` (`fermyon:spin/redis@2.0.0`). The host
//! already flattens replies, so this only converts types. Calls are synchronous on WASIp2:
//! a blocking `XREAD` waits in the host, and the instance serves only this request. A
//! blocking read gets a connection of its own: on Spin a blocked connection holds up every
//! other command sent on it (a PING waited 4.5 s). While it blocks, the instance does
//! nothing else, so the shared connection and the SQLite connection are closed first (they
//! reopen on next use): an open stream then holds one Redis connection, not three handles.

use std::sync::Arc;

use chat_core::{
    Error, Result,
    ports::{RedisArg, RedisCommands, RedisReply},
};
use futures::lock::Mutex;

use crate::SpinSql;
use spin_sdk_wasip2::redis::{Connection, RedisParameter, RedisResult};

/// Redis at one URL, connected on first use.
pub struct SpinRedis {
    url: String,
    /// The request's database, released while a blocking read waits.
    sql: Arc<SpinSql>,
    shared: Mutex<Option<Connection>>,
    /// The connection blocking reads use, kept between reads of the same stream. It is
    /// taken out while a read runs: a read cancelled mid-BLOCK drops its connection (a
    /// reply may still be on its way), never returns it.
    blocking: Mutex<Option<Connection>>,
}

impl SpinRedis {
    /// A client for `url`; nothing connects until a command is sent. `sql` is the same
    /// request's database, closed while a blocking read waits.
    pub fn new(url: String, sql: Arc<SpinSql>) -> Self {
        SpinRedis {
            url,
            sql,
            shared: Mutex::new(None),
            blocking: Mutex::new(None),
        }
    }
}

fn bus_error(e: impl std::fmt::Debug) -> Error {
    Error::Bus(format!("{e:?}"))
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

fn run(conn: &Connection, command: &str, args: Vec<RedisArg>) -> Result<Vec<RedisReply>> {
    let args: Vec<RedisParameter> = args.into_iter().map(to_spin).collect();
    let results = conn.execute(command, &args).map_err(bus_error)?;
    Ok(results.into_iter().map(from_spin).collect())
}

#[async_trait::async_trait]
impl RedisCommands for SpinRedis {
    async fn execute(&self, command: &str, args: Vec<RedisArg>) -> Result<Vec<RedisReply>> {
        let mut shared = self.shared.lock().await;
        if shared.is_none() {
            *shared = Some(Connection::open(&self.url).map_err(bus_error)?);
        }
        match shared.as_ref() {
            Some(conn) => run(conn, command, args),
            None => Err(Error::Bus("no Redis connection".into())),
        }
    }

    async fn execute_blocking(
        &self,
        command: &str,
        args: Vec<RedisArg>,
    ) -> Result<Vec<RedisReply>> {
        self.shared.lock().await.take();
        self.sql.release();
        let idle = self.blocking.lock().await.take();
        let conn = match idle {
            Some(conn) => conn,
            None => Connection::open(&self.url).map_err(bus_error)?,
        };
        let replies = run(&conn, command, args)?;
        *self.blocking.lock().await = Some(conn);
        Ok(replies)
    }
}
