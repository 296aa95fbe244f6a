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

    /// The tokens a bucket holds after `elapsed_ms` of refill from `tokens`: between 0 and
    /// `burst` whatever comes in (a stored NaN counts as an empty bucket).
    pub fn refill(&self, tokens: f64, elapsed_ms: i64) -> f64 {
        let gained = elapsed_ms.max(0) as f64 * self.per_ms();
        let filled = tokens + gained;
        if filled.is_nan() {
            return 0.0;
        }
        filled.clamp(0.0, f64::from(self.burst))
    }

    /// How long until a bucket holding `tokens` has a whole token again, at most
    /// [`Rate::LONGEST_WAIT`]. Never panics: odd settings (a rate of 1e-300 per second) or
    /// odd stored values (NaN, a huge negative count) give the longest wait, not a crash.
    pub fn wait_for_token(&self, tokens: f64) -> Duration {
        self.wait_for_tokens(tokens, 1)
    }

    /// How long until a bucket holding `tokens` holds `cost` whole tokens; the longest
    /// wait when the bucket can never hold them (a cost above its burst).
    pub fn wait_for_tokens(&self, tokens: f64, cost: u32) -> Duration {
        let needed = f64::from(cost.max(1));
        if cost > self.burst {
            return Self::LONGEST_WAIT;
        }
        if tokens >= needed {
            return Duration::ZERO;
        }
        let seconds = (needed - tokens) / self.per_second;
        let refills = self.per_second.is_finite() && self.per_second > 0.0;
        if !refills || !seconds.is_finite() {
            return Self::LONGEST_WAIT;
        }
        Duration::try_from_secs_f64(seconds)
            .unwrap_or(Self::LONGEST_WAIT)
            .min(Self::LONGEST_WAIT)
    }

    /// The longest wait a limiter reports: a day (a `Retry-After` beyond it helps nobody).
    pub const LONGEST_WAIT: Duration = Duration::from_secs(24 * 60 * 60);
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
    async fn acquire(&self, key: &str, rate: Rate) -> Result<Verdict> {
        self.acquire_many(key, rate, 1).await
    }
    /// Takes `cost` tokens from `key`'s bucket if it has that many (all or none): a write
    /// charged by what it costs, such as a message to a room charged per member.
    async fn acquire_many(&self, key: &str, rate: Rate, cost: u32) -> Result<Verdict>;
    /// Tells whether `acquire` would succeed, without taking a token.
    async fn check(&self, key: &str, rate: Rate) -> Result<Verdict>;
    /// Refills `key`'s bucket (forgets its history).
    async fn reset(&self, key: &str) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_exact_for_sane_buckets() {
        let rate = Rate::bucket(5, 2.0);
        assert_eq!(rate.wait_for_token(1.5), Duration::ZERO);
        assert_eq!(rate.wait_for_token(0.0), Duration::from_millis(500));
        assert_eq!(rate.refill(1.0, 1_000), 3.0);
        assert_eq!(rate.refill(4.0, 10_000), 5.0, "never above the burst");
        assert_eq!(
            Rate::per_window(10, Duration::from_secs(600)).wait_for_token(0.0),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn odd_settings_and_stored_values_never_panic() {
        let longest = Rate::LONGEST_WAIT;
        for (rate, tokens) in [
            (Rate::bucket(1, 1e-300), 0.0),
            (Rate::bucket(1, 0.0), 0.0),
            (Rate::bucket(1, -3.0), 0.0),
            (Rate::bucket(1, f64::NAN), 0.0),
            (Rate::bucket(1, f64::INFINITY), f64::NEG_INFINITY),
            (Rate::bucket(1, 1.0), f64::NAN),
            (Rate::bucket(1, 1.0), -1e300),
            (Rate::per_window(0, Duration::ZERO), 0.0),
        ] {
            let wait = rate.wait_for_token(tokens);
            assert!(wait <= longest, "{rate:?} {tokens}: {wait:?}");
        }
        assert_eq!(Rate::bucket(1, 1e-300).wait_for_token(0.0), longest);
        let rate = Rate::bucket(3, 1.0);
        assert_eq!(rate.refill(f64::NAN, 5), 0.0);
        assert_eq!(rate.refill(-1e300, 5), 0.0);
        assert_eq!(rate.refill(1.0, i64::MIN), 1.0);
        assert_eq!(rate.refill(1.0, i64::MAX), 3.0);
    }
}
