//! Token buckets in the `rate_limits` table, for embedded mode. One UPSERT decides and
//! records each acquire atomically, so concurrent requests cannot both take the last token.

use std::sync::Arc;

use crate::{
    Result,
    ports::{Clock, Limiter, Rate, Sql, Value, Verdict},
};

/// Buckets idle this long are full again for every rule we use (the longest window is an
/// hour), so their rows can go.
const FORGET_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

/// A [`Limiter`] on SQLite.
pub struct SqlLimiter {
    sql: Arc<dyn Sql>,
    clock: Arc<dyn Clock>,
}

impl SqlLimiter {
    /// A limiter over `sql`, reading the time from `clock`.
    pub fn new(sql: Arc<dyn Sql>, clock: Arc<dyn Clock>) -> Self {
        SqlLimiter { sql, clock }
    }
}

#[async_trait::async_trait]
impl Limiter for SqlLimiter {
    async fn acquire_many(&self, key: &str, rate: Rate, cost: u32) -> Result<Verdict> {
        let cost = cost.max(1);
        if rate.burst == 0 || cost > rate.burst {
            return Ok(Verdict::Limited {
                retry_after: rate.wait_for_tokens(0.0, cost),
            });
        }
        let now = self.clock.now_ms();
        // `refilled` is spelled out three times because SET expressions all see the old row.
        let rows = self
            .sql
            .query(
                "INSERT INTO rate_limits (key, tokens, updated_ms, last_granted)
                 VALUES (?1, ?2 - ?5, ?3, 1)
                 ON CONFLICT (key) DO UPDATE SET
                    tokens = min(?2, tokens + max(0, ?3 - updated_ms) * ?4)
                             - ?5 * (min(?2, tokens + max(0, ?3 - updated_ms) * ?4) >= ?5),
                    last_granted = (min(?2, tokens + max(0, ?3 - updated_ms) * ?4) >= ?5),
                    updated_ms = max(updated_ms, ?3)
                 RETURNING last_granted, tokens",
                &[
                    Value::from(key),
                    Value::from(rate.burst),
                    Value::Integer(now),
                    Value::Real(rate.per_ms()),
                    Value::from(cost),
                ],
            )
            .await?;
        // Bounded clean-up of long-idle buckets, a few rows per acquire.
        self.sql
            .execute(
                "DELETE FROM rate_limits WHERE key IN (
                    SELECT key FROM rate_limits WHERE updated_ms < ?1 LIMIT 8)",
                &[Value::Integer(now - FORGET_AFTER_MS)],
            )
            .await?;
        let (granted, tokens) = match rows.first() {
            Some(row) => (row.get::<bool>(0)?, row.get::<f64>(1)?),
            None => (false, 0.0),
        };
        Ok(if granted {
            Verdict::Allowed
        } else {
            Verdict::Limited {
                retry_after: rate.wait_for_tokens(tokens, cost),
            }
        })
    }

    async fn check(&self, key: &str, rate: Rate) -> Result<Verdict> {
        let rows = self
            .sql
            .query(
                "SELECT tokens, updated_ms FROM rate_limits WHERE key = ?1",
                &[Value::from(key)],
            )
            .await?;
        let tokens = match rows.first() {
            Some(row) => rate.refill(
                row.get(0)?,
                self.clock.now_ms().saturating_sub(row.get::<i64>(1)?),
            ),
            None => f64::from(rate.burst),
        };
        Ok(if tokens >= 1.0 {
            Verdict::Allowed
        } else {
            Verdict::Limited {
                retry_after: rate.wait_for_token(tokens),
            }
        })
    }

    async fn reset(&self, key: &str) -> Result<()> {
        self.sql
            .execute(
                "DELETE FROM rate_limits WHERE key = ?1",
                &[Value::from(key)],
            )
            .await
            .map(drop)
    }
}
