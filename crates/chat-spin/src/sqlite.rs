//! The `Sql` port on `spin_sdk::sqlite3` (the `spin:sqlite@3.0.0` interface: the one with
//! a change count). Spin opens a fresh connection per `open` and sets no pragmas, so each
//! connection gets its busy timeout and sync mode here. A request opens its connection on
//! its first statement, and a stream gives it back while it waits (see [`SpinSql::release`]):
//! each open connection holds three descriptors (database, WAL, shared memory) and a page
//! cache of its own.

use std::sync::{Arc, Mutex};

use chat_core::{
    Error, Result,
    ports::{Row, Sql, SqlTransaction, Value},
};
use spin_sdk::sqlite3::{Connection, Value as SpinValue};

fn db_error(e: impl std::fmt::Debug) -> Error {
    let detail = format!("{e:?}");
    // The busy timeout ran out: the request may be retried, it is not a defect.
    if detail.contains("database is locked") || detail.contains("database is busy") {
        Error::Busy(detail)
    } else {
        Error::Database(detail)
    }
}

fn to_spin(value: &Value) -> SpinValue {
    match value {
        Value::Null => SpinValue::Null,
        Value::Integer(i) => SpinValue::Integer(*i),
        Value::Real(f) => SpinValue::Real(*f),
        Value::Text(s) => SpinValue::Text(s.clone()),
        Value::Blob(b) => SpinValue::Blob(b.clone()),
    }
}

fn from_spin(value: SpinValue) -> Value {
    match value {
        SpinValue::Null => Value::Null,
        SpinValue::Integer(i) => Value::Integer(i),
        SpinValue::Real(f) => Value::Real(f),
        SpinValue::Text(s) => Value::Text(s),
        SpinValue::Blob(b) => Value::Blob(b),
    }
}

fn open(database: &str) -> Result<Connection> {
    let conn = Connection::open(database).map_err(db_error)?;
    for pragma in [
        "PRAGMA busy_timeout = 5000",
        "PRAGMA synchronous = NORMAL",
        "PRAGMA foreign_keys = ON",
    ] {
        run(&conn, pragma, &[])?;
    }
    Ok(conn)
}

/// Runs one statement to the end; returns its rows and the change count. The host's calls
/// are synchronous on WASIp2; they wait in the host, not in the guest.
fn run(conn: &Connection, sql: &str, params: &[Value]) -> Result<(Vec<Row>, u64)> {
    let params: Vec<SpinValue> = params.iter().map(to_spin).collect();
    let result = conn.execute(sql, &params).map_err(db_error)?;
    let rows = result
        .rows
        .into_iter()
        .map(|row| Row(row.values.into_iter().map(from_spin).collect()))
        .collect();
    Ok((rows, conn.changes()))
}

/// The component's SQLite database (`sqlite_databases = ["default"]`).
pub struct SpinSql {
    database: String,
    conn: Mutex<Option<Arc<Connection>>>,
}

impl SpinSql {
    /// The `default` database; nothing is opened until the first statement.
    pub fn default_database() -> Self {
        SpinSql {
            database: "default".to_owned(),
            conn: Mutex::new(None),
        }
    }

    fn connection(&self) -> Result<Arc<Connection>> {
        let mut slot = self.conn.lock().map_err(|_| db_error("connection lock poisoned"))?;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        let conn = Arc::new(open(&self.database)?);
        *slot = Some(conn.clone());
        Ok(conn)
    }

    /// Closes the connection until the next statement: what a stream does before it blocks
    /// on Redis for up to its heartbeat interval, instead of holding descriptors and a page
    /// cache it does not use.
    pub fn release(&self) {
        if let Ok(mut slot) = self.conn.lock() {
            slot.take();
        }
    }
}

#[async_trait::async_trait]
impl Sql for SpinSql {
    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64> {
        run(&*self.connection()?, sql, params).map(|(_, changes)| changes)
    }

    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        run(&*self.connection()?, sql, params).map(|(rows, _)| rows)
    }

    async fn begin(&self) -> Result<Box<dyn SqlTransaction>> {
        // A connection of its own, so other work in this request stays outside.
        let conn = open(&self.database)?;
        run(&conn, "BEGIN IMMEDIATE", &[])?;
        Ok(Box::new(SpinTransaction { conn }))
    }
}

/// A transaction on its own connection. Dropping it closes the connection, and SQLite
/// rolls back whatever was not committed.
struct SpinTransaction {
    conn: Connection,
}

#[async_trait::async_trait]
impl SqlTransaction for SpinTransaction {
    async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        run(&self.conn, sql, params).map(|(_, changes)| changes)
    }

    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        run(&self.conn, sql, params).map(|(rows, _)| rows)
    }

    async fn commit(self: Box<Self>) -> Result<()> {
        run(&self.conn, "COMMIT", &[]).map(drop)
    }
}
