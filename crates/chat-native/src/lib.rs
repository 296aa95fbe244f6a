//! Native implementations of the chat ports (rusqlite, the `redis` crate, environment
//! variables, tokio timers) and the host that serves every area's router on one port.

pub mod config;
pub mod host;
pub mod redis;
pub mod sqlite;
#[cfg(feature = "test-support")]
pub mod testing;

use std::time::Duration;

use chat_core::ports::SystemClock;

/// The system clock, sleeping on tokio's timer.
pub fn tokio_clock() -> SystemClock<fn(Duration) -> tokio::time::Sleep> {
    SystemClock::new(tokio::time::sleep)
}
