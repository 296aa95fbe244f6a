//! The event bus and rate limiter, written once over the `Sql` and `RedisCommands` ports:
//! the Redis versions run on Redis Streams and Lua scripts, the embedded versions on
//! SQLite tables. Hosts only supply the raw connections; `Ports::assemble` (wiring.rs)
//! picks.

use crate::ids::UserId;

mod redis_inbox;
mod redis_limiter;
mod shared_waits;
mod sql_inbox;
mod sql_limiter;

pub use redis_inbox::RedisInbox;
pub use redis_limiter::RedisLimiter;
pub use shared_waits::SharedWaits;
pub use sql_inbox::SqlInbox;
pub use sql_limiter::SqlLimiter;

/// Recipients without duplicates, in their first order.
fn unique(recipients: &[UserId]) -> Vec<&str> {
    let mut seen = std::collections::HashSet::new();
    recipients
        .iter()
        .map(UserId::as_str)
        .filter(|r| seen.insert(*r))
        .collect()
}

/// Every inbox keeps its newest `retention` events; older ones are trimmed in batches of at
/// least this many, so the trimming cost is spread over many appends.
fn trim_slack(retention: u32) -> u32 {
    (retention / 8).max(16)
}

/// Events no inbox keeps beyond, however recent: the age rule (keep a day) must not let a
/// flood grow an inbox without bound. A reader that falls this far behind gets `resync`.
fn hard_limit(retention: u32) -> u32 {
    retention.saturating_mul(10)
}
