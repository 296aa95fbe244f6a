//! The `Clock` port: what time it is, and a way to wait that works on every host.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Wall-clock time and sleeping. Injected so tests can run on a fixed clock.
#[async_trait::async_trait]
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
    /// Waits for the given time. On Spin this is the host's timer; natively, tokio's.
    async fn sleep(&self, duration: Duration);
}

/// The system clock for `now_ms`; sleeping is delegated to the host's timer function.
///
/// `std::time::SystemTime` works on wasm32-wasip2 and natively alike, so only sleeping
/// differs between hosts.
pub struct SystemClock<S> {
    sleeper: S,
}

impl<S> SystemClock<S> {
    /// A system clock that sleeps with `sleeper`.
    pub fn new(sleeper: S) -> Self {
        SystemClock { sleeper }
    }
}

#[async_trait::async_trait]
impl<S, F> Clock for SystemClock<S>
where
    S: Fn(Duration) -> F + Send + Sync,
    F: std::future::Future<Output = ()> + Send,
{
    fn now_ms(&self) -> i64 {
        // A clock before 1970 is a broken host; treat it as the epoch rather than panic.
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(crate::time::millis)
            .unwrap_or(0)
    }

    async fn sleep(&self, duration: Duration) {
        (self.sleeper)(duration).await
    }
}
