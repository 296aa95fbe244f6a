//! The `Random` port: unpredictable bytes, and what ids and secrets make of them (UUIDv7s
//! with the clock, hex secrets).

use crate::{
    Error, Result,
    ids::{hex, uuid_v7_from},
    ports::Clock,
};

/// A source of random bytes. Injected so tests can be deterministic.
pub trait Random: Send + Sync {
    /// Fills `buf` with random bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<()>;
}

/// The operating system's CSPRNG (WASI `random` on Spin, `getrandom` natively).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<()> {
        getrandom::fill(buf).map_err(|e| Error::Data(format!("random source failed: {e}")))
    }
}

/// A new UUIDv7 (RFC 9562): 48-bit Unix milliseconds from the injected clock, then 74
/// bits from the injected random source (the `uuid` crate sets version and variant).
/// Sorting by the id sorts by creation time, which keeps SQLite's B-tree inserts at the
/// right edge, and lets the outbox walk messages in time order.
pub fn uuid_v7(clock: &dyn Clock, random: &dyn Random) -> Result<String> {
    let mut bytes = [0u8; 10];
    random.fill(&mut bytes)?;
    Ok(uuid_v7_from(clock.now_ms(), &bytes))
}

/// `bytes` random bytes as lower-case hex (64 hex characters for 32 bytes = 256 bits).
pub fn random_hex(random: &dyn Random, bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    random.fill(&mut buf)?;
    Ok(hex(&buf))
}
