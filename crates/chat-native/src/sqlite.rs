//! The `Sql` port on rusqlite (bundled SQLite). Connections are pooled and every statement
//! runs on tokio's blocking pool, so a slow write never stalls the async workers.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use chat_core::{
    Error, Result,
    ports::{Row, Sql, SqlTransaction, Value, WRITER_PRAGMAS, step_of},
};
use rusqlite::{Connection, types::ValueRef};

/// Idle connections kept for reuse.
const MAX_IDLE: usize = 16;

/// How long a statement waits for another writer before failing with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// An SQLite database file, reached through a small connection pool.
#[derive(Clone)]
pub struct NativeSql {
    path: Arc<PathBuf>,
    idle: Arc<Mutex<Vec<Connection>>>,
}

fn db_error(e: rusqlite::Error) -> Error {
    // The busy timeout ran out: an overload to retry, not a defect.
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            Error::Busy(e.to_string())
        }
        _ => Error::Database(e.to_string()),
    }
}

impl NativeSql {
    /// Opens (creating if needed) the database at `path`, and its parent directory.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| Error::Database(format!("creating {}: {e}", dir.display())))?;
        }
        let sql = NativeSql {
            path: Arc::new(path.to_path_buf()),
            idle: Arc::new(Mutex::new(Vec::new())),
        };
        let first = sql.connect()?;
        sql.give_back(first);
        Ok(sql)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A new connection with the per-connection settings Spin's host would not apply.
    fn connect(&self) -> Result<Connection> {
        let conn = Connection::open(self.path.as_ref()).map_err(db_error)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db_error)?;
        for pragma in WRITER_PRAGMAS {
            conn.execute_batch(pragma).map_err(db_error)?;
        }
        Ok(conn)
    }

    fn take(&self) -> Result<Connection> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        match pooled {
            Some(conn) => Ok(conn),
            None => self.connect(),
        }
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&NativeSql) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let this = self.clone();
        tokio::task::spawn_blocking(move || work(&this))
            .await
            .map_err(|e| Error::Database(format!("database task failed: {e}")))?
    }
}

/// Runs one statement to completion; returns its rows.
/// Runs one statement; a failure names its step ([`step_of`]).
fn run(conn: &Connection, sql: &str, params: Vec<Value>) -> Result<Vec<Row>> {
    run_statement(conn, sql, params).map_err(|e| e.context(&step_of(sql)))
}

fn run_statement(conn: &Connection, sql: &str, params: Vec<Value>) -> Result<Vec<Row>> {
    let mut statement = conn.prepare_cached(sql).map_err(db_error)?;
    let columns = statement.column_count();
    let params = rusqlite::params_from_iter(params.into_iter().map(to_sqlite));
    let mut rows = statement.query(params).map_err(db_error)?;
    let mut out = Vec::new();
    // Draining every row is what surfaces constraint errors of RETURNING statements.
    while let Some(row) = rows.next().map_err(db_error)? {
        let mut values = Vec::with_capacity(columns);
        for i in 0..columns {
            values.push(from_sqlite(row.get_ref(i).map_err(db_error)?));
        }
        out.push(Row(values));
    }
    Ok(out)
}

fn to_sqlite(value: Value) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match value {
        Value::Null => V::Null,
        Value::Integer(i) => V::Integer(i),
        Value::Real(f) => V::Real(f),
        Value::Text(s) => V::Text(s),
        Value::Blob(b) => V::Blob(b),
    }
}

fn from_sqlite(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Integer(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

#[async_trait::async_trait]
impl Sql for NativeSql {
    async fn execute(&self, sql: &str, params: &[Value]) -> Result<()> {
        self.query(sql, params).await.map(drop)
    }

    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let (sql, params) = (sql.to_owned(), params.to_vec());
        self.blocking(move |db| {
            let conn = db.take()?;
            let result = run(&conn, &sql, params);
            db.give_back(conn);
            result
        })
        .await
    }

    async fn begin(&self) -> Result<Box<dyn SqlTransaction>> {
        let conn = self
            .blocking(|db| {
                let conn = db.take()?;
                conn.execute_batch("BEGIN IMMEDIATE").map_err(db_error)?;
                Ok(conn)
            })
            .await?;
        Ok(Box::new(NativeTransaction {
            db: self.clone(),
            conn: Some(conn),
        }))
    }
}

/// A transaction holding its connection until commit or drop.
struct NativeTransaction {
    db: NativeSql,
    /// `None` only while a statement runs on the blocking pool, or after commit.
    conn: Option<Connection>,
}

impl NativeTransaction {
    async fn run(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        let conn = self
            .conn
            .take()
            .ok_or_else(|| Error::Database("transaction connection lost".into()))?;
        let (sql, params) = (sql.to_owned(), params.to_vec());
        let (conn, result) = tokio::task::spawn_blocking(move || {
            let result = run(&conn, &sql, params);
            (conn, result)
        })
        .await
        .map_err(|e| Error::Database(format!("database task failed: {e}")))?;
        self.conn = Some(conn);
        result
    }
}

#[async_trait::async_trait]
impl SqlTransaction for NativeTransaction {
    async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<()> {
        self.run(sql, params).await.map(drop)
    }

    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        self.run(sql, params).await
    }

    async fn commit(mut self: Box<Self>) -> Result<()> {
        self.run("COMMIT", &[]).await?;
        if let Some(conn) = self.conn.take() {
            self.db.give_back(conn);
        }
        Ok(())
    }
}

impl Drop for NativeTransaction {
    fn drop(&mut self) {
        // Not committed: roll back before the connection is reused. If that fails the
        // connection is closed instead, which rolls back too.
        if let Some(conn) = self.conn.take()
            && (conn.is_autocommit() || conn.execute_batch("ROLLBACK").is_ok())
        {
            self.db.give_back(conn);
        }
    }
}
