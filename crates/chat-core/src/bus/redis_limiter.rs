//! Token buckets in Redis hashes (`chat:limit:<key>` = tokens, updated-at), updated by one
//! Lua script so concurrent instances never race. Time comes from the `Clock` port.

use std::sync::Arc;

use crate::{
    Error, Result,
    ports::{Clock, Limiter, Rate, RedisArg, RedisCommands, RedisReply, Verdict},
};

const KEY_PREFIX: &str = "chat:limit:";

/// ARGV: burst, tokens per ms, now ms, take (1 = acquire, 0 = check).
/// Returns {granted (0/1), tokens left as text}. The hash expires once it would be full.
const BUCKET_SCRIPT: &str = r#"
local burst = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local take = tonumber(ARGV[4])
local cost = tonumber(ARGV[5])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil or at == nil then tokens, at = burst, now end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * per_ms)
  at = now
end
local granted = 0
if tokens >= cost then granted = 1 end
if take == 1 then
  if granted == 1 then tokens = tokens - cost end
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', string.format('%d', at))
  local until_full = 1000
  if per_ms > 0 then until_full = until_full + math.ceil((burst - tokens) / per_ms) end
  redis.call('PEXPIRE', KEYS[1], until_full)
end
return {granted, tostring(tokens)}
"#;

/// A [`Limiter`] on Redis.
pub struct RedisLimiter {
    redis: Arc<dyn RedisCommands>,
    clock: Arc<dyn Clock>,
}

impl RedisLimiter {
    /// A limiter over `redis`, reading the time from `clock`.
    pub fn new(redis: Arc<dyn RedisCommands>, clock: Arc<dyn Clock>) -> Self {
        RedisLimiter { redis, clock }
    }

    async fn run(&self, key: &str, rate: Rate, take: bool, cost: u32) -> Result<Verdict> {
        let cost = cost.max(1);
        if rate.burst == 0 || cost > rate.burst {
            return Ok(Verdict::Limited {
                retry_after: rate.wait_for_tokens(0.0, cost),
            });
        }
        let reply = self
            .redis
            .execute(
                "EVAL",
                vec![
                    BUCKET_SCRIPT.into(),
                    1.into(),
                    format!("{KEY_PREFIX}{key}").into(),
                    RedisArg::Int(i64::from(rate.burst)),
                    // f64's Display never uses exponent notation, which Lua could misread.
                    format!("{}", rate.per_ms()).into(),
                    RedisArg::Int(self.clock.now_ms()),
                    RedisArg::Int(i64::from(take)),
                    RedisArg::Int(i64::from(cost)),
                ],
            )
            .await?;
        let granted = reply.first().and_then(RedisReply::as_int);
        let tokens = reply
            .get(1)
            .and_then(RedisReply::as_text)
            .and_then(|t| t.parse::<f64>().ok());
        match (granted, tokens) {
            (Some(1), _) => Ok(Verdict::Allowed),
            (Some(0), Some(tokens)) => Ok(Verdict::Limited {
                retry_after: rate.wait_for_tokens(tokens, cost),
            }),
            _ => Err(Error::Bus(format!("unexpected limiter reply {reply:?}"))),
        }
    }
}

#[async_trait::async_trait]
impl Limiter for RedisLimiter {
    async fn acquire_many(&self, key: &str, rate: Rate, cost: u32) -> Result<Verdict> {
        self.run(key, rate, true, cost).await
    }

    async fn check(&self, key: &str, rate: Rate) -> Result<Verdict> {
        self.run(key, rate, false, 1).await
    }

    async fn reset(&self, key: &str) -> Result<()> {
        self.redis
            .execute("DEL", vec![format!("{KEY_PREFIX}{key}").into()])
            .await
            .map(drop)
    }
}
