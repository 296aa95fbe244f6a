//! The `Sql` port on `spin_sdk::sqlite` (spin-sdk 6, `spin:sqlite@3.1.0`'s async calls),
//! whichever database the runtime config gives `default`: Spin's own SQLite file, or a
//! libSQL server (sqld, Turso) that Spin reaches over HTTP, one round trip per statement.
//!
//! Spin reuses a WASIp3 instance for many requests, some at once, and keeps its resources
//! open between them, so connections live in a small pool kept by the instance: a
//! statement borrows an idle connection (or opens one, ~550 us of host work on a local
//! file) and gives it back when its rows are read. Each borrow is exclusive, so a
//! transaction never shares its connection with another request's statements; a
//! connection that failed for a reason that passes, or sat idle long enough for a libSQL
//! server to expire its stream, is closed instead of reused.
//!
//! On a local SQLite file, an instance's writes take turns ([`Pool::writer_turn`]): one
//! writing statement or transaction of the instance at a time, the rest waiting in line
//! inside the instance, holding no connection. SQLite lets one writer in at a time anyway,
//! and its busy handler makes the others sleep and retry (up to 100 ms a sleep): with
//! every waiting request on a connection of its own, a burst of sends left the lock idle
//! between sleepers, requests queued, each queued one opened another connection, and at
//! 500 messages a second the process ran out of descriptors. A libSQL server orders its
//! writers itself, and a write there is a network round trip that requests overlap, so
//! there writes do not take turns.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use chat_core::{
    Error, Result,
    ports::{
        Row, Sql, SqlTransaction, Value, WRITER_PRAGMAS, only_reads, refused_as_unsupported,
        step_of,
    },
};
use futures::lock::{Mutex as AsyncMutex, OwnedMutexGuard};
use spin_sdk::sqlite::{Connection, Value as SpinValue};

/// Idle connections kept for the next statements; more are opened when more statements
/// run at once, and closed again as they come back.
const IDLE_KEPT: usize = 8;

/// A connection idle longer than this is closed rather than reused: sqld drops a stream
/// after ten idle seconds, and a statement on it would fail (`STREAM_EXPIRED`).
const IDLE_REUSED_FOR: Duration = Duration::from_secs(5);

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

/// Runs one statement to the end and returns its rows. SQLite's errors (a constraint, a
/// missing table) arrive with the result after the rows, so the result is always read.
/// Runs one statement; a failure names its step ([`step_of`]).
async fn run(conn: &Connection, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
    let rows = async {
        let result = conn
            .execute(sql, params.iter().map(to_spin))
            .await
            .map_err(db_error)?;
        result.collect().await.map_err(db_error)
    }
    .await
    .map_err(|e| e.context(&step_of(sql)))?;
    Ok(rows
        .into_iter()
        .map(|row| Row(row.values.into_iter().map(from_spin).collect()))
        .collect())
}

/// Sends [`WRITER_PRAGMAS`]. On a libSQL server the first of them is refused by the client
/// ([`refused_as_unsupported`]); the server's own connections already run what they ask
/// for, so the rest is not sent either: each would be an HTTP round trip that changes
/// nothing. Returns whether the database is a libSQL server (the refusal says so).
async fn tune_for_writing(conn: &Connection) -> Result<bool> {
    for pragma in WRITER_PRAGMAS {
        match run(conn, pragma, &[]).await {
            Ok(_) => {}
            Err(e) if refused_as_unsupported(&e) => return Ok(true),
            Err(e) => return Err(e),
        }
    }
    Ok(false)
}

/// An open connection, whether it got [`WRITER_PRAGMAS`] yet, and since when it is idle.
struct Open {
    conn: Connection,
    tuned: bool,
    idle_since: Instant,
}

/// The idle connections of one database, shared by the instance's requests.
struct Pool {
    database: String,
    idle: Mutex<Vec<Open>>,
    /// Held by the instance's one writer of the moment (local files only).
    writers: Arc<AsyncMutex<()>>,
    /// Set once a connection turned out to reach a libSQL server.
    remote: AtomicBool,
}

/// A writer's turn: held until its statement or transaction ends. `None` on a libSQL
/// server, where writes do not take turns.
type WriterTurn = Option<OwnedMutexGuard<()>>;

impl Pool {
    /// An idle connection fit for `sql` (tuned if it writes), or a new one.
    async fn borrow(&self, writes: bool) -> Result<Open> {
        let reusable = self.idle.lock().ok().and_then(|mut idle| {
            // The most recently used first: the least likely to have expired.
            while let Some(open) = idle.pop() {
                if open.idle_since.elapsed() < IDLE_REUSED_FOR {
                    return Some(open);
                }
            }
            None
        });
        let mut open = match reusable {
            Some(open) => open,
            None => Open {
                conn: Connection::open(&self.database).await.map_err(db_error)?,
                tuned: false,
                idle_since: Instant::now(),
            },
        };
        if writes && !open.tuned {
            if tune_for_writing(&open.conn).await? {
                self.remote.store(true, Ordering::Relaxed);
            }
            open.tuned = true;
        }
        Ok(open)
    }

    /// Waits for this instance's turn to write to a local SQLite file (see the module's
    /// comment); at once on a libSQL server. Until the first write has said which the
    /// database is, the turns are taken: harmless on a server, a few statements long.
    async fn writer_turn(&self) -> WriterTurn {
        if self.remote.load(Ordering::Relaxed) {
            return None;
        }
        Some(self.writers.clone().lock_owned().await)
    }

    /// Takes a connection back after a statement or a transaction ended well.
    fn give_back(&self, mut open: Open) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < IDLE_KEPT
        {
            open.idle_since = Instant::now();
            idle.push(open);
        }
    }

    /// Runs `sql` on a borrowed connection. A connection that failed for a reason that
    /// passes ([`Error::Busy`]: a libSQL server gone, restarting, full, or one that
    /// expired this connection's stream) is closed, so the next statement opens a fresh
    /// one instead of failing the same way.
    async fn run(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let writes = !only_reads(sql);
        let _turn = if writes {
            self.writer_turn().await
        } else {
            None
        };
        let open = self.borrow(writes).await?;
        let result = run(&open.conn, sql, params).await;
        if !matches!(result, Err(Error::Busy(_))) {
            self.give_back(open);
        }
        result
    }
}

/// The component's SQL database (`sqlite_databases = ["default"]`), kept by the instance.
#[derive(Clone)]
pub struct SpinSql {
    pool: Arc<Pool>,
}

impl SpinSql {
    /// The `default` database; nothing is opened until the first statement.
    pub fn default_database() -> Self {
        SpinSql {
            pool: Arc::new(Pool {
                database: "default".to_owned(),
                idle: Mutex::new(Vec::new()),
                writers: Arc::new(AsyncMutex::new(())),
                remote: AtomicBool::new(false),
            }),
        }
    }
}

#[async_trait::async_trait]
impl Sql for SpinSql {
    async fn execute(&self, sql: &str, params: &[Value]) -> Result<()> {
        self.pool.run(sql, params).await.map(drop)
    }

    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        self.pool.run(sql, params).await
    }

    async fn begin(&self) -> Result<Box<dyn SqlTransaction>> {
        let turn = self.pool.writer_turn().await;
        let open = self.pool.borrow(true).await?;
        run(&open.conn, "BEGIN IMMEDIATE", &[]).await?;
        Ok(Box::new(SpinTransaction {
            open: Some(open),
            pool: self.pool.clone(),
            turn,
        }))
    }
}

/// A transaction on a connection borrowed for its whole length.
struct SpinTransaction {
    /// The connection, until COMMIT succeeded (then it goes back to the pool).
    open: Option<Open>,
    pool: Arc<Pool>,
    /// The instance's turn to write, given up when the transaction ends.
    turn: WriterTurn,
}

impl SpinTransaction {
    fn conn(&self) -> Result<&Connection> {
        self.open
            .as_ref()
            .map(|open| &open.conn)
            .ok_or_else(|| Error::Database("transaction already ended".into()))
    }
}

#[async_trait::async_trait]
impl SqlTransaction for SpinTransaction {
    async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<()> {
        run(self.conn()?, sql, params).await.map(drop)
    }

    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        run(self.conn()?, sql, params).await
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        run(self.conn()?, "COMMIT", &[]).await?;
        if let Some(open) = self.open.take() {
            self.pool.give_back(open);
        }
        self.turn.take();
        Ok(())
    }
}

impl Drop for SpinTransaction {
    /// Rolls back what was not committed, explicitly and at once: closing a local SQLite
    /// connection would do it, but a libSQL server keeps the transaction (and its write
    /// lock) open on its side of the stream until the stream expires, seconds later,
    /// stalling every other writer of the cluster meanwhile. Drop cannot wait, so the
    /// ROLLBACK runs as a task of its own; the connection is reused only if it succeeded.
    fn drop(&mut self) {
        if let Some(open) = self.open.take() {
            let pool = self.pool.clone();
            // The turn passes on once the lock is let go, not before.
            let turn = self.turn.take();
            spin_sdk::wasip3::spawn(async move {
                if run(&open.conn, "ROLLBACK", &[]).await.is_ok() {
                    pool.give_back(open);
                }
                drop(turn);
            });
        }
    }
}
