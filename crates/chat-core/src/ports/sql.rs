//! The `Sql` port: positional-parameter statements over SQLite, rows of SQLite values, and
//! transactions. The SQL text itself lives in chat-core, so Spin and the tests run the same.

use crate::{
    Error, Result,
    ids::{AttachmentId, ConversationId, MessageId, UserId},
};

/// What every connection that writes needs, and SQLite does not keep between connections
/// (both adapters send these): commits that wait for no fsync (WAL makes that safe
/// against corruption; a power cut can lose the last commits, not the file), and
/// enforced foreign keys. `journal_mode = WAL` is the database's own, set once by the
/// first migration; the busy wait is the adapter's (see each).
pub const WRITER_PRAGMAS: [&str; 2] = ["PRAGMA synchronous = NORMAL", "PRAGMA foreign_keys = ON"];

/// The port's error for a host's SQL failure described by `detail`: [`Error::Busy`] (the
/// request may be retried, it is not a defect) when the busy wait ran out, or a libSQL
/// server did not answer (down, restarting: its client reports "Hrana: `http error:
/// ..."), turned the statement away because it had as many connections or requests as it
/// takes (sqld: 128 of each by default), or dropped the connection's stream after ten idle
/// seconds (what ran on it is rolled back); [`Error::Database`] for anything else. Both
/// Spin adapters describe their host's errors the same way, so they share this.
pub fn host_sql_error(detail: String) -> Error {
    const PASSING: [&str; 6] = [
        "database is locked",
        "database is busy",
        "http error",
        "Too many concurrent requests",
        "Timed out while opening database connection",
        "STREAM_EXPIRED",
    ];
    if PASSING.iter().any(|passing| detail.contains(passing)) {
        Error::Busy(detail)
    } else {
        Error::Database(detail)
    }
}

/// Whether a host refused a statement as one it does not pass on: Spin's libSQL client
/// parses each statement before sending it and refuses the pragmas a server owns
/// (`synchronous`, `journal_mode`, `busy_timeout`) without a round trip.
pub fn refused_as_unsupported(error: &Error) -> bool {
    matches!(error, Error::Database(detail) if detail.contains("unsupported statement"))
}

/// Whether a statement only reads: those run on a connection that did not get
/// [`WRITER_PRAGMAS`] (neither changes a read), so a connection that only ever reads gets
/// no pragma at all.
pub fn only_reads(sql: &str) -> bool {
    let head = sql.trim_start();
    let starts = |word: &str| {
        head.get(..word.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(word))
    };
    starts("SELECT") || (starts("PRAGMA") && !head.contains('='))
}

/// One SQLite value, as a parameter or a column of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A 64-bit signed integer.
    Integer(i64),
    /// A 64-bit float.
    Real(f64),
    /// UTF-8 text.
    Text(String),
    /// Raw bytes.
    Blob(Vec<u8>),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}
impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Integer(i64::from(v))
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Integer(i64::from(v))
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Integer(i64::from(v))
    }
}
impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Real(v)
    }
}
impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}
impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}
impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Blob(v)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// Conversion from a column value, failing with a description instead of panicking.
pub trait FromValue: Sized {
    /// Converts `value`, or explains why it cannot.
    fn from_value(value: &Value) -> Result<Self, String>;
}

impl FromValue for i64 {
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Integer(i) => Ok(*i),
            other => Err(format!("expected integer, found {other:?}")),
        }
    }
}
impl FromValue for u64 {
    fn from_value(value: &Value) -> Result<Self, String> {
        let i = i64::from_value(value)?;
        u64::try_from(i).map_err(|_| format!("expected non-negative integer, found {i}"))
    }
}
impl FromValue for bool {
    fn from_value(value: &Value) -> Result<Self, String> {
        Ok(i64::from_value(value)? != 0)
    }
}
impl FromValue for f64 {
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Real(f) => Ok(*f),
            // SQLite stores whole REAL values as integers when it can.
            Value::Integer(i) => Ok(*i as f64),
            other => Err(format!("expected real, found {other:?}")),
        }
    }
}
impl FromValue for String {
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Text(s) => Ok(s.clone()),
            other => Err(format!("expected text, found {other:?}")),
        }
    }
}
impl FromValue for Vec<u8> {
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Blob(b) => Ok(b.clone()),
            other => Err(format!("expected blob, found {other:?}")),
        }
    }
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Result<Self, String> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

/// The ids are TEXT in SQL: read from a text column, bound as text.
macro_rules! text_ids {
    ($($id:ty),*) => {$(
        impl FromValue for $id {
            fn from_value(value: &Value) -> Result<Self, String> {
                String::from_value(value).map(<$id>::from_raw)
            }
        }

        impl From<&$id> for Value {
            fn from(id: &$id) -> Self {
                Value::Text(id.as_str().to_owned())
            }
        }

        impl From<$id> for Value {
            fn from(id: $id) -> Self {
                Value::Text(id.into())
            }
        }
    )*};
}

text_ids!(UserId, ConversationId, MessageId, AttachmentId);

/// The step a statement is, for an error's context: its verb and the table it acts on
/// (`INSERT INTO friend_requests`, `SELECT FROM messages`), so every database failure in
/// the log names its step without a hand-written label per statement.
pub fn step_of(sql: &str) -> String {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let verb = words.first().map_or("", |w| w.trim_start_matches('('));
    // The first INTO or FROM outside parentheses: a column's subquery names another table.
    let mut depth = 0i64;
    let mut table = None;
    for pair in words.windows(2) {
        if depth == 0
            && ["INTO", "FROM"]
                .iter()
                .any(|k| pair[0].eq_ignore_ascii_case(k))
        {
            table = Some(pair[1].trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '_'));
            break;
        }
        depth += pair[0].matches('(').count() as i64 - pair[0].matches(')').count() as i64;
    }
    match (verb.eq_ignore_ascii_case("UPDATE"), table) {
        (true, _) => format!("UPDATE {}", words.get(1).copied().unwrap_or("")),
        (false, Some(table)) if !table.is_empty() => {
            let joiner =
                if verb.eq_ignore_ascii_case("INSERT") || verb.eq_ignore_ascii_case("REPLACE") {
                    "INTO"
                } else {
                    "FROM"
                };
            format!("{} {joiner} {table}", verb.to_ascii_uppercase())
        }
        _ => verb.to_ascii_uppercase(),
    }
}

/// One result row: its columns by position, in the order of the SELECT list.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Value>);

impl Row {
    /// Column `index` converted to `T`; a missing column or wrong type is an [`Error::Data`].
    pub fn get<T: FromValue>(&self, index: usize) -> Result<T> {
        let value = self
            .0
            .get(index)
            .ok_or_else(|| Error::Data(format!("row has no column {index}")))?;
        T::from_value(value).map_err(|e| Error::Data(format!("column {index}: {e}")))
    }

    /// A reader of this row's columns from the first.
    pub fn columns(&self) -> Columns<'_> {
        Columns { row: self, next: 0 }
    }
}

/// A row read column after column. Each model's reader takes exactly the columns its
/// select list names and leaves the reader at the next one, so neither it nor its caller
/// counts another's columns: a column added to a select list and to its reader moves
/// everything after it along by itself.
#[derive(Debug)]
pub struct Columns<'r> {
    row: &'r Row,
    next: usize,
}

impl Columns<'_> {
    /// The next column, converted to `T`.
    pub fn read<T: FromValue>(&mut self) -> Result<T> {
        let at = self.next;
        self.next += 1;
        self.row.get(at)
    }

    /// Whether the next column is NULL (or there is none): a LEFT JOIN that found nothing.
    pub fn next_is_null(&self) -> bool {
        matches!(self.row.0.get(self.next), None | Some(Value::Null))
    }

    /// Passes over every column left: what a reader of the last columns of a select list
    /// does when a LEFT JOIN found nothing there.
    pub fn skip_rest(&mut self) {
        self.next = self.row.0.len();
    }

    /// Checks every column was read: the round-trip tests of the readers end with it, so a
    /// select list longer than its reader fails them.
    pub fn end(self) -> Result<()> {
        match self.row.0.len().checked_sub(self.next) {
            Some(0) => Ok(()),
            Some(left) => Err(Error::Data(format!("{left} columns left unread"))),
            None => Err(Error::Data("read past the last column".into())),
        }
    }
}

/// The boolean in the first column of the first row, as a `SELECT EXISTS (...)` returns
/// it; false when there is no row.
pub fn first_flag(rows: &[Row]) -> Result<bool> {
    rows.first().map_or(Ok(false), |row| row.get(0))
}

/// Statements against the application's SQLite database (a local file, or a libSQL
/// server reached over HTTP).
///
/// Every call drains the statement completely, so constraint errors always surface as
/// [`Error::Database`] (Spin reports them only once the rows are consumed).
///
/// There is no change count: Spin's libSQL client reports the count of an earlier
/// statement (it only updates it on a path Spin does not take), so a statement whose
/// effect decides what happens next says `RETURNING` and the caller counts its rows.
#[async_trait::async_trait]
pub trait Sql: Send + Sync {
    /// Runs one statement whose rows, if any, nobody needs.
    async fn execute(&self, sql: &str, params: &[Value]) -> Result<()>;
    /// Runs one statement and returns every row it yields.
    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;
    /// Starts a write transaction (`BEGIN IMMEDIATE`) on a connection of its own.
    /// Dropping it without [`SqlTransaction::commit`] rolls it back.
    async fn begin(&self) -> Result<Box<dyn SqlTransaction>>;
}

/// An open write transaction. Statements run on its own connection, in order.
#[async_trait::async_trait]
pub trait SqlTransaction: Send {
    /// Runs one statement inside the transaction.
    async fn execute(&mut self, sql: &str, params: &[Value]) -> Result<()>;
    /// Runs one query inside the transaction.
    async fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>>;
    /// Makes the transaction's changes durable.
    async fn commit(self: Box<Self>) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_statement_names_its_step_by_verb_and_table() {
        for (sql, step) in [
            (
                "INSERT INTO friend_requests (a, b) VALUES (?1, ?2)",
                "INSERT INTO friend_requests",
            ),
            (
                "SELECT u.id, (SELECT 1 FROM x) FROM users u WHERE u.id = ?1",
                "SELECT FROM users",
            ),
            ("  select count(*) from messages", "SELECT FROM messages"),
            ("UPDATE users SET presence = ?1", "UPDATE users"),
            ("DELETE FROM sessions WHERE id = ?1", "DELETE FROM sessions"),
            ("PRAGMA user_version", "PRAGMA"),
            ("", ""),
        ] {
            assert_eq!(step_of(sql), step, "{sql}");
        }
    }

    #[test]
    fn reads_are_selects_and_pragmas_that_set_nothing() {
        for read in ["SELECT 1", "  select x FROM t", "PRAGMA user_version"] {
            assert!(only_reads(read), "{read}");
        }
        for write in [
            "INSERT INTO t VALUES (1)",
            "PRAGMA foreign_keys = ON",
            "BEGIN",
            "",
        ] {
            assert!(!only_reads(write), "{write}");
        }
    }

    #[test]
    fn only_the_hosts_refusal_counts_as_unsupported() {
        let refused = Error::Database("Hrana: unsupported statement".into());
        assert!(refused_as_unsupported(&refused));
        assert!(!refused_as_unsupported(&Error::Database(
            "no such table".into()
        )));
        assert!(!refused_as_unsupported(&Error::Busy(
            "unsupported statement".into()
        )));
    }
}
