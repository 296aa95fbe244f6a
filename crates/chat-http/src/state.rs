//! The state every handler receives: the ports, and whether the schema is known current.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use chat_core::{Ports, Result, migrations};

/// Shared by every handler of a router.
#[derive(Clone)]
pub struct AppState {
    /// The outside world.
    pub ports: Ports,
    schema_ready: Arc<AtomicBool>,
}

impl AppState {
    /// State over `ports`. On Spin a new one is built per request; natively once.
    pub fn new(ports: Ports) -> Self {
        AppState {
            ports,
            schema_ready: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Migrates the database if this state has not yet seen it current. After the first
    /// success it costs nothing; on Spin (state per request) it costs one `PRAGMA` read.
    pub async fn ensure_schema(&self) -> Result<()> {
        if self.schema_known_current() {
            return Ok(());
        }
        migrations::migrate(self.ports.sql.as_ref()).await?;
        self.schema_seen_current();
        Ok(())
    }

    /// Whether this state has seen the schema current already.
    pub(crate) fn schema_known_current(&self) -> bool {
        self.schema_ready.load(Ordering::Acquire)
    }

    /// Records that the schema was seen current (by a statement that read the version).
    pub(crate) fn schema_seen_current(&self) {
        self.schema_ready.store(true, Ordering::Release);
    }
}
