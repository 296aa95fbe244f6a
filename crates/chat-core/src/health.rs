//! The health check behind `GET /api/health`: touches the database and the bus for real.

use crate::{Ports, ports::BusBackend};

/// The state of one dependency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// Answered.
    Ok,
    /// Failed; the detail is for the log, not the client.
    Down(String),
}

impl Check {
    /// True when it answered.
    pub fn is_ok(&self) -> bool {
        matches!(self, Check::Ok)
    }
}

/// What `/api/health` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    /// The SQLite store.
    pub database: Check,
    /// The event bus.
    pub bus: Check,
    /// Which backend carries the bus.
    pub backend: BusBackend,
}

impl HealthReport {
    /// True when every dependency answered.
    pub fn is_healthy(&self) -> bool {
        self.database.is_ok() && self.bus.is_ok()
    }
}

/// Checks the database (schema current, a query answers) and the bus (a ping answers).
pub async fn check(ports: &Ports) -> HealthReport {
    let database = match crate::migrations::migrate(ports.sql.as_ref()).await {
        Ok(()) => match ports.sql.query("SELECT 1", &[]).await {
            Ok(_) => Check::Ok,
            Err(e) => Check::Down(e.to_string()),
        },
        Err(e) => Check::Down(e.to_string()),
    };
    let bus = match ports.inbox.ping().await {
        Ok(()) => Check::Ok,
        Err(e) => Check::Down(e.to_string()),
    };
    HealthReport {
        database,
        bus,
        backend: ports.inbox.backend(),
    }
}
