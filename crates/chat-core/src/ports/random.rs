//! The `Random` port: unpredictable bytes for ids and secrets.

use crate::{Error, Result};

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
