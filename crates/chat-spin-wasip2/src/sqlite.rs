//! The `Sql` port on `spin_sdk::sqlite3` (5.2) (the `spin:sqlite@3.0.0` interface), whichever
//! database the runtime config gives `default`: Spin's own SQLite file, or a libSQL server
//! (sqld, Turso) that Spin reaches over HTTP, one round trip per statement. Spin opens a
//! fresh connection per `open` and sets no pragmas, so a connection that writes gets them
//! here. A request opens its connection on its first statement, and a stream gives it back
//! while it waits (see [`SpinSql::release`]): each open local connection holds three
//! descriptors (database, WAL, shared memory) and a page cache of its own.

use std::sync::{Arc, Mutex};

use chat_core::{
    Error, Result,
    ports::{
        Row, Sql, SqlTransaction, Value, WRITER_PRAGMAS, only_reads, refused_as_unsupported,
        step_of,
    },
};
use spin_sdk_wasip2::sqlite3::{Connection, Value as SpinValue};

fn db_error(e: impl std::fmt::Debug) -> Error {
    chat_core::ports::host_sql_error(format!("{e:?}"))
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

// The writer pragmas are chat-core's WRITER_PRAGMAS, sent before a connection's first
// write only. No `busy_timeout`: Spin's in-process SQLite (rusqlite) already waits 5 s on
// every connection it opens, and each statement sent through the host costs CPU (a
// send's budget is a few of them).

fn open(database: &str) -> Result<Connection> {
    Connection::open(database).map_err(db_error)
}

/// Sends [`WRITER_PRAGMAS`]. On a libSQL server the first of them is refused by the client
/// ([`refused_as_unsupported`]); the server's own connections already run what they ask
/// for, so the rest is not sent either: each would be an HTTP round trip that changes
/// nothing.
fn tune_for_writing(conn: &Connection) -> Result<()> {
    for pragma in WRITER_PRAGMAS {
        match run(conn, pragma, &[]) {
            Ok(_) => {}
            Err(e) if refused_as_unsupported(&e) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Runs one statement to the end and returns its rows. The host's calls are synchronous
/// on WASIp2; they wait in the host, not in the guest.
/// Runs one statement; a failure names its step ([`step_of`]).
fn run(conn: &Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
    let params: Vec<SpinValue> = params.iter().map(to_spin).collect();
    let result = conn
        .execute(sql, &params)
        .map_err(|e| db_error(e).context(&step_of(sql)))?;
    Ok(result
        .rows
        .into_iter()
        .map(|row| Row(row.values.into_iter().map(from_spin).collect()))
        .collect())
}

/// The component's SQLite database (`sqlite_databases = ["default"]`).
pub struct SpinSql {
    database: String,
    conn: Mutex<Option<Open>>,
}

/// The open connection, and whether it got [`WRITER_PRAGMAS`] yet.
struct Open {
    conn: Arc<Connection>,
    tuned: bool,
}

impl SpinSql {
    /// The `default` database; nothing is opened until the first statement.
    pub fn default_database() -> Self {
        SpinSql {
            database: "default".to_owned(),
            conn: Mutex::new(None),
        }
    }

    /// The connection for `sql`, opened (and tuned, if `sql` writes) on first need.
    fn connection(&self, sql: &str) -> Result<Arc<Connection>> {
        let mut slot = self
            .conn
            .lock()
            .map_err(|_| db_error("connection lock poisoned"))?;
        let open = match slot.take() {
            Some(open) => open,
            None => Open {
                conn: Arc::new(open(&self.database)?),
                tuned: false,
            },
        };
        let open = if !open.tuned && !only_reads(sql) {
            tune_for_writing(&open.conn)?;
            Open {
                tuned: true,
                ..open
            }
        } else {
            open
        };
        let conn = open.conn.clone();
        *slot = Some(open);
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

    /// Runs `sql` on the request's connection. A connection that failed for a reason that
    /// passes ([`Error::Busy`]: a libSQL server gone, restarting, full, or one that expired
    /// this connection's stream) is given up, so the next statement (a stream's next
    /// heartbeat) opens a fresh one instead of failing the same way for good.
    fn run_here(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let result = run(&*self.connection(sql)?, sql, params);
        if matches!(result, Err(Error::Busy(_))) {
            self.release();
        }
        result
    }
}

#[async_trait::async_trait]
impl Sql for SpinSql {
    async fn execute(&self, sql: &str, params: &[Value]) -> Result<()> {
        self.run_here(sql, params).map(drop)
    }

    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        self.run_here(sql, params)
    }

    async fn begin(&self) -> Result<Box<dyn SqlTransaction>> {
        // A connection of its own, so other work in this request stays outside.
        let conn = open(&self.database)?;
        tune_for_writing(&conn)?;
        run(&conn, "BEGIN IMMEDIATE", &[])?;
        Ok(Box::new(SpinTransaction { conn, open: true }))
    }
}

/// A transaction on its own connection.
struct SpinTransaction {
    conn: Connection,
    /// Until COMMIT succeeded: dropping it then rolls back.
    open: bool,
}

#[async_trait::async_trait]
impl SqlTransaction for SpinTransaction {
    async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<()> {
        run(&self.conn, sql, params).map(drop)
    }

    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        run(&self.conn, sql, params)
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        run(&self.conn, "COMMIT", &[])?;
        self.open = false;
        Ok(())
    }
}

impl Drop for SpinTransaction {
    /// Rolls back what was not committed, explicitly: closing a local SQLite connection
    /// would do it, but a libSQL server keeps the transaction (and its write lock) open on
    /// its side of the stream until the stream expires, seconds later, stalling every
    /// other writer of the cluster meanwhile. A failed ROLLBACK leaves the server's expiry
    /// as the last resort; there is nobody left to tell.
    fn drop(&mut self) {
        if self.open {
            let _ = run(&self.conn, "ROLLBACK", &[]);
        }
    }
}
