//! Migrations against a host that refuses the journal-mode pragma (as hosted libSQL may):
//! the schema still applies, and the refusal does not fail every request.

use std::sync::Arc;

use chat_core::{
    Error, Result,
    migrations::{self, MIGRATIONS},
    ports::{Row, Sql, SqlTransaction, Value},
};
use chat_native::sqlite::NativeSql;

/// Passes everything through, except that `PRAGMA journal_mode = ...` fails.
struct RefusesJournalMode(Arc<NativeSql>);

#[async_trait::async_trait]
impl Sql for RefusesJournalMode {
    async fn execute(&self, sql: &str, params: &[Value]) -> Result<()> {
        if sql.to_lowercase().contains("pragma journal_mode =") {
            return Err(Error::Database("not authorized".into()));
        }
        self.0.execute(sql, params).await
    }

    async fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Row>> {
        self.0.query(sql, params).await
    }

    async fn begin(&self) -> Result<Box<dyn SqlTransaction>> {
        self.0.begin().await
    }
}

#[tokio::test]
async fn a_refused_journal_mode_does_not_stop_the_schema() {
    let dir = tempfile::tempdir().unwrap();
    let native = Arc::new(NativeSql::open(&dir.path().join("t.db")).unwrap());
    let sql = RefusesJournalMode(native);
    migrations::migrate(&sql).await.unwrap();
    let recorded = sql
        .query("SELECT count(*) FROM schema_migrations", &[])
        .await
        .unwrap();
    assert_eq!(recorded[0].get::<i64>(0).unwrap(), MIGRATIONS.len() as i64);
    let users = sql.query("SELECT count(*) FROM users", &[]).await.unwrap();
    assert_eq!(users[0].get::<i64>(0).unwrap(), 0, "the schema is there");
    let mode = sql.query("PRAGMA journal_mode", &[]).await.unwrap();
    assert_ne!(
        mode[0].get::<String>(0).unwrap().to_lowercase(),
        "wal",
        "the pragma really was refused"
    );
}
