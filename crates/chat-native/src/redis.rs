//! The `RedisCommands` port on the `redis` crate, flattening replies exactly as Spin's host
//! does, so the shared Redis logic in chat-core sees the same lists on both hosts.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use chat_core::{
    Error, Result,
    ports::{RedisArg, RedisCommands, RedisReply},
};
use redis::{
    AsyncConnectionConfig, Client, Value,
    aio::{ConnectionManager, ConnectionManagerConfig, MultiplexedConnection},
};
use tokio::sync::OnceCell;

/// Connecting gives up after this; health then reports the bus as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// Ordinary commands (not blocking reads) fail after this.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// A blocking read gives up this long after its BLOCK time: the server answers by then
/// unless the connection is half-open (a peer gone without a FIN), which would otherwise
/// hold the stream forever.
const BLOCKING_MARGIN: Duration = Duration::from_secs(5);
/// Connections kept for blocking reads.
const MAX_IDLE_BLOCKING: usize = 64;

/// A Redis server: one shared auto-reconnecting connection for ordinary commands, and a
/// pool of dedicated connections for blocking reads.
pub struct NativeRedis {
    client: Client,
    shared: OnceCell<ConnectionManager>,
    blocking_idle: Arc<Mutex<Vec<MultiplexedConnection>>>,
}

fn bus_error(e: impl std::fmt::Display) -> Error {
    Error::Bus(e.to_string())
}

impl NativeRedis {
    /// A client for `url` (`redis://host:port/db`). Nothing connects until first use.
    pub fn new(url: &str) -> Result<Self> {
        Ok(NativeRedis {
            client: Client::open(url).map_err(bus_error)?,
            shared: OnceCell::new(),
            blocking_idle: Arc::new(Mutex::new(Vec::new())),
        })
    }

    async fn shared(&self) -> Result<ConnectionManager> {
        let manager = self
            .shared
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT))
                    .set_number_of_retries(1);
                ConnectionManager::new_with_config(self.client.clone(), config)
                    .await
                    .map_err(bus_error)
            })
            .await?;
        Ok(manager.clone())
    }

    async fn blocking_connection(&self) -> Result<MultiplexedConnection> {
        let pooled = self
            .blocking_idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        if let Some(conn) = pooled {
            return Ok(conn);
        }
        // No response timeout: the server itself answers when the BLOCK time is up.
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(None);
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(bus_error)
    }
}

/// The `BLOCK <ms>` of a blocking command's arguments.
fn block_time(args: &[RedisArg]) -> Option<Duration> {
    let at = args
        .iter()
        .position(|a| matches!(a, RedisArg::Bytes(b) if b.eq_ignore_ascii_case(b"BLOCK")))?;
    match args.get(at + 1)? {
        RedisArg::Int(ms) => u64::try_from(*ms).ok().map(Duration::from_millis),
        RedisArg::Bytes(_) => None,
    }
}

fn command(name: &str, args: Vec<RedisArg>) -> redis::Cmd {
    let mut cmd = redis::cmd(name);
    for arg in args {
        match arg {
            RedisArg::Int(i) => cmd.arg(i),
            RedisArg::Bytes(b) => cmd.arg(b),
        };
    }
    cmd
}

/// Flattens a reply depth-first, as Spin's outbound Redis host does: nil stays nil, `OK`
/// becomes a status, arrays and sets are spliced in, doubles and big numbers become text,
/// booleans integers; maps and other RESP3-only shapes are errors.
pub fn flatten(value: Value) -> Result<Vec<RedisReply>> {
    fn append(out: &mut Vec<RedisReply>, value: Value) -> Result<()> {
        match value {
            Value::Nil => out.push(RedisReply::Nil),
            Value::Int(i) => out.push(RedisReply::Int(i)),
            Value::BulkString(b) => out.push(RedisReply::Bytes(b)),
            Value::SimpleString(s) => out.push(RedisReply::Status(s)),
            Value::Okay => out.push(RedisReply::Status("OK".into())),
            Value::Array(items) | Value::Set(items) => {
                for item in items {
                    append(out, item)?;
                }
            }
            Value::Double(d) => out.push(RedisReply::Bytes(d.to_string().into_bytes())),
            Value::Boolean(b) => out.push(RedisReply::Int(i64::from(b))),
            Value::BigNumber(n) => out.push(RedisReply::Bytes(format!("{n:?}").into_bytes())),
            Value::ServerError(e) => return Err(Error::Bus(format!("{e:?}"))),
            other => return Err(Error::Bus(format!("unsupported Redis reply {other:?}"))),
        }
        Ok(())
    }
    let mut out = Vec::new();
    append(&mut out, value)?;
    Ok(out)
}

#[async_trait::async_trait]
impl RedisCommands for NativeRedis {
    async fn execute(&self, name: &str, args: Vec<RedisArg>) -> Result<Vec<RedisReply>> {
        let mut conn = self.shared().await?;
        let value: Value = command(name, args)
            .query_async(&mut conn)
            .await
            .map_err(bus_error)?;
        flatten(value)
    }

    async fn execute_blocking(&self, name: &str, args: Vec<RedisArg>) -> Result<Vec<RedisReply>> {
        let mut conn = self.blocking_connection().await?;
        let limit = block_time(&args).unwrap_or(RESPONSE_TIMEOUT) + BLOCKING_MARGIN;
        // If this future is dropped mid-read (or times out) the connection goes with it: a
        // reply may still be on its way, so it must not be reused.
        let value: Value = tokio::time::timeout(limit, command(name, args).query_async(&mut conn))
            .await
            .map_err(|_| Error::Bus(format!("no reply to {name} within {limit:?}")))?
            .map_err(bus_error)?;
        let mut idle = self.blocking_idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE_BLOCKING {
            idle.push(conn);
        }
        drop(idle);
        flatten(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocking_read_knows_its_block_time() {
        let args: Vec<RedisArg> = vec![
            "COUNT".into(),
            10.into(),
            "BLOCK".into(),
            2500.into(),
            "STREAMS".into(),
        ];
        assert_eq!(block_time(&args), Some(Duration::from_millis(2500)));
        assert_eq!(block_time(&args[..2]), None);
    }

    #[test]
    fn nested_arrays_flatten_depth_first() {
        let reply = Value::Array(vec![Value::Array(vec![
            Value::BulkString(b"key".to_vec()),
            Value::Array(vec![Value::Array(vec![
                Value::BulkString(b"1-0".to_vec()),
                Value::Array(vec![
                    Value::BulkString(b"e".to_vec()),
                    Value::BulkString(b"{}".to_vec()),
                ]),
            ])]),
        ])]);
        let flat = flatten(reply).expect("flattens");
        let texts: Vec<_> = flat.iter().map(|r| r.as_text().expect("text")).collect();
        assert_eq!(texts, ["key", "1-0", "e", "{}"]);
    }

    #[test]
    fn nil_ok_and_scalars_map_like_spin() {
        assert_eq!(flatten(Value::Nil).expect("nil"), [RedisReply::Nil]);
        assert_eq!(
            flatten(Value::Okay).expect("ok"),
            [RedisReply::Status("OK".into())]
        );
        assert_eq!(
            flatten(Value::Boolean(true)).expect("bool"),
            [RedisReply::Int(1)]
        );
        assert_eq!(
            flatten(Value::Double(1.5)).expect("double"),
            [RedisReply::Bytes(b"1.5".to_vec())]
        );
        assert!(flatten(Value::Array(vec![])).expect("empty").is_empty());
        assert!(flatten(Value::Map(vec![])).is_err(), "Spin rejects maps");
    }
}
