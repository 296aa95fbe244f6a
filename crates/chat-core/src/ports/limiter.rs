//! The `Limiter` port: token buckets keyed by string (per user, per address, per username).

use std::time::Duration;

use crate::Result;

/// A token bucket: holds up to `burst` tokens and gains `per_second` tokens each second.
///
/// "10 per 15 minutes" is `Rate::per_window(10, 15 min)`: a burst of 10 that refills fully
/// over the window. "Burst 20, then 5/s" is `Rate::bucket(20, 5.0)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Bucket capacity: how many requests may come at once.
    pub burst: u32,
    /// Tokens regained per second.
    pub per_second: f64,
}

impl Rate {
    /// A bucket of `burst` tokens refilled at `per_second`.
    pub fn bucket(burst: u32, per_second: f64) -> Self {
        Rate { burst, per_second }
    }

    /// `count` requests per `window`, as a bucket that refills fully over the window.
    pub fn per_window(count: u32, window: Duration) -> Self {
        let seconds = window.as_secs_f64().max(0.001);
        Rate {
            burst: count,
            per_second: f64::from(count) / seconds,
        }
    }

    /// Tokens regained per millisecond.
    pub fn per_ms(&self) -> f64 {
        self.per_second / 1000.0
    }

    /// The tokens a bucket holds after `elapsed_ms` of refill from `tokens`.
    pub fn refill(&self, tokens: f64, elapsed_ms: i64) -> f64 {
        let gained = elapsed_ms.max(0) as f64 * self.per_ms();
        (tokens + gained).min(f64::from(self.burst))
    }

    /// How long until a bucket holding `tokens` has a whole token again.
    pub fn wait_for_token(&self, tokens: f64) -> Duration {
        if tokens >= 1.0 {
            return Duration::ZERO;
        }
        if self.per_second <= 0.0 {
            return Duration::from_secs(u64::MAX / 4);
        }
        Duration::from_secs_f64((1.0 - tokens) / self.per_second)
    }
}

/// The outcome of asking a limiter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// Go ahead.
    Allowed,
    /// Refused; the next attempt can succeed after this long.
    Limited {
        /// Time until a token is available.
        retry_after: Duration,
    },
}

impl Verdict {
    /// True when allowed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Verdict::Allowed)
    }

    /// `Ok(())` when allowed, [`crate::Error::RateLimited`] otherwise.
    pub fn into_result(self) -> Result<()> {
        match self {
            Verdict::Allowed => Ok(()),
            Verdict::Limited { retry_after } => Err(crate::Error::RateLimited { retry_after }),
        }
    }
}

/// Rate limiting counters shared by every instance of the service.
#[async_trait::async_trait]
pub trait Limiter: Send + Sync {
    /// Takes one token from `key`'s bucket if it has one.
    async fn acquire(&self, key: &str, rate: Rate) -> Result<Verdict>;
    /// Tells whether `acquire` would succeed, without taking a token.
    async fn check(&self, key: &str, rate: Rate) -> Result<Verdict>;
    /// Refills `key`'s bucket (forgets its history).
    async fn reset(&self, key: &str) -> Result<()>;
}
