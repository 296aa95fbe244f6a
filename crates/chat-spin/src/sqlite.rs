//! The `Sql` port on `spin_sdk::sqlite3` (the `spin:sqlite@3.0.0` interface: the one with
//! a change count). Spin opens a fresh connection per `open` and sets no pragmas, so each
//! connection gets its busy timeout and sync mode here.

use chat_core::{
    Error, Result,
    ports::{Row, Sql, SqlTransaction, Value},
};
use spin_sdk::sqlite3::{Connection, Value as SpinValue};

fn db_error(e: impl std::fmt::Debug) -> Error {
    Error::Database(format!("{e:?}"))
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
    conn: Connection,
}

impl SpinSql {
    /// Opens the `default` database.
    pub fn open_default() -> Result<Self> {
        let database = "default".to_owned();
        let conn = open(&database)?;
        Ok(SpinSql { database, conn })
    }
}

#[async_trait::async_trait]
impl Sql for SpinSql {
    async fn execute(&self, sql: &str, params: &[Value]) -> Result<u64> {
        run(&self.conn, sql, params).map(|(_, changes)| changes)
    }

    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        run(&self.conn, sql, params).map(|(rows, _)| rows)
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
