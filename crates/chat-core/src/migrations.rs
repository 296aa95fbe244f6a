//! Schema migrations: the numbered files of `migrations/`, embedded at compile time and
//! applied by whichever request first finds the database behind. Safe when requests race:
//! each migration runs inside `BEGIN IMMEDIATE`, which lets one writer in at a time, and
//! re-checks `schema_migrations` once inside.

use crate::{
    Result,
    ports::{Sql, SqlTransaction, Value},
};

/// One migration file.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The number at the front of its file name.
    pub version: i64,
    /// The file name.
    pub name: &'static str,
    /// Its SQL: statements separated by `;`.
    pub sql: &'static str,
}

impl Migration {
    /// Statements such as `PRAGMA journal_mode` cannot run inside a transaction; a file
    /// whose first line is this marker runs outside one (it must be idempotent).
    pub const NO_TRANSACTION: &'static str = "-- chat:no-transaction";

    /// A file that also carries this marker tunes the database rather than shaping it: a
    /// statement the host refuses (libSQL/Turso manages its own journal, for one) is
    /// logged and skipped instead of failing every request.
    pub const BEST_EFFORT: &'static str = "-- chat:best-effort";

    fn runs_outside_transaction(&self) -> bool {
        self.sql.trim_start().starts_with(Self::NO_TRANSACTION)
    }

    fn is_best_effort(&self) -> bool {
        self.sql
            .lines()
            .any(|line| line.trim() == Self::BEST_EFFORT)
    }
}

macro_rules! migration {
    ($version:literal, $file:literal) => {
        Migration {
            version: $version,
            name: $file,
            sql: include_str!(concat!("../../../migrations/", $file)),
        }
    };
}

/// Every migration, in order. Add new files at the end; never edit an applied one.
pub const MIGRATIONS: &[Migration] = &[
    migration!(1, "0001_wal.sql"),
    migration!(2, "0002_bus.sql"),
    migration!(3, "0003_accounts.sql"),
    migration!(4, "0004_contacts.sql"),
    migration!(5, "0005_conversations.sql"),
    migration!(6, "0006_one_statement_send.sql"),
    migration!(7, "0007_outbox.sql"),
];

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The schema version recorded in the database header (`PRAGMA user_version`).
pub async fn current_version(sql: &dyn Sql) -> Result<i64> {
    let rows = sql.query("PRAGMA user_version", &[]).await?;
    match rows.first() {
        Some(row) => row.get(0),
        None => Ok(0),
    }
}

/// Brings the database up to [`latest_version`]. Costs one `PRAGMA` read when it already is.
pub async fn migrate(sql: &dyn Sql) -> Result<()> {
    if current_version(sql).await? >= latest_version() {
        return Ok(());
    }
    sql.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at_ms INTEGER NOT NULL
        )",
        &[],
    )
    .await?;
    for migration in MIGRATIONS {
        apply(sql, migration).await?;
    }
    Ok(())
}

const IS_APPLIED: &str = "SELECT 1 FROM schema_migrations WHERE version = ?1";
const RECORD: &str = "INSERT OR IGNORE INTO schema_migrations (version, name, applied_at_ms)
     VALUES (?1, ?2, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))";

/// Applies one migration unless it is recorded already. The schema version only ever
/// moves forward: a request that applied an early file slowly, while another applied the
/// later ones, must not stamp the version back (every later request would then run the
/// migration checks again, under the write lock). So the stamp is read and written inside
/// one write transaction, and raised only.
pub(crate) async fn apply(sql: &dyn Sql, migration: &Migration) -> Result<()> {
    let version = Value::Integer(migration.version);
    let record = [version.clone(), Value::from(migration.name)];

    if migration.runs_outside_transaction() {
        if !sql.query(IS_APPLIED, &[version]).await?.is_empty() {
            return Ok(());
        }
        for statement in split_statements(migration.sql) {
            match sql.execute(statement, &[]).await {
                Ok(_) => {}
                Err(e) if migration.is_best_effort() => {
                    eprintln!("migration {}: skipped `{statement}`: {e}", migration.name);
                }
                Err(e) => return Err(e),
            }
        }
        report_journal_mode(sql, migration).await?;
        let mut tx = sql.begin().await?;
        tx.execute(RECORD, &record).await?;
        raise_version(tx.as_mut(), migration.version).await?;
        return tx.commit().await;
    }

    let mut tx = sql.begin().await?;
    if !tx.query(IS_APPLIED, &[version]).await?.is_empty() {
        // Another request applied it while we waited for the write lock.
        return Ok(());
    }
    for statement in split_statements(migration.sql) {
        tx.execute(statement, &[]).await?;
    }
    tx.execute(RECORD, &record).await?;
    raise_version(tx.as_mut(), migration.version).await?;
    tx.commit().await
}

/// Sets `PRAGMA user_version` to `version` unless it is already at or past it.
async fn raise_version(tx: &mut dyn SqlTransaction, version: i64) -> Result<()> {
    let rows = tx.query("PRAGMA user_version", &[]).await?;
    let current: i64 = match rows.first() {
        Some(row) => row.get(0)?,
        None => 0,
    };
    if current < version {
        // PRAGMA cannot take a parameter; the version is a compile-time integer.
        tx.execute(&format!("PRAGMA user_version = {version}"), &[])
            .await?;
    }
    Ok(())
}

/// After a file that sets `journal_mode`, says so when the host kept another mode (hosted
/// libSQL manages its own journal; locally, anything but WAL means readers and the writer
/// block each other and "busy" answers under load).
async fn report_journal_mode(sql: &dyn Sql, migration: &Migration) -> Result<()> {
    if !migration.sql.to_ascii_lowercase().contains("journal_mode") {
        return Ok(());
    }
    let rows = sql.query("PRAGMA journal_mode", &[]).await?;
    let mode: Option<String> = rows.first().map(|r| r.get(0)).transpose()?;
    if !mode
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("wal"))
    {
        eprintln!(
            "migration {}: journal_mode is {mode:?}, not WAL: expect readers and writers to wait on each other",
            migration.name
        );
    }
    Ok(())
}

/// Splits a migration file into single statements: Spin's SQLite runs one per call.
///
/// Semicolons inside quotes, comments and `CREATE TRIGGER ... BEGIN ... END` bodies do not
/// end a statement. Empty statements and comment-only fragments are dropped.
pub fn split_statements(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let mut statements = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let mut trigger_depth = 0usize;
    let mut word_start: Option<usize> = None;
    let mut in_trigger = false;

    let finish_word = |from: usize, to: usize, in_trigger: &mut bool, depth: &mut usize| {
        let word = &sql[from..to];
        if word.eq_ignore_ascii_case("trigger") {
            *in_trigger = true;
        } else if *in_trigger
            && (word.eq_ignore_ascii_case("begin") || word.eq_ignore_ascii_case("case"))
        {
            *depth += 1;
        } else if *in_trigger && word.eq_ignore_ascii_case("end") {
            *depth = depth.saturating_sub(1);
        }
    };

    while i < bytes.len() {
        let b = bytes[i];
        let is_word = b.is_ascii_alphanumeric() || b == b'_';
        if is_word {
            word_start.get_or_insert(i);
            i += 1;
            continue;
        }
        if let Some(from) = word_start.take() {
            finish_word(from, i, &mut in_trigger, &mut trigger_depth);
        }
        match b {
            b'\'' | b'"' | b'`' => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b {
                        // A doubled quote is an escaped quote, not the end.
                        if bytes.get(i + 1) == Some(&b) {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 2;
            }
            b';' if trigger_depth == 0 => {
                statements.push(&sql[start..i]);
                start = i + 1;
                in_trigger = false;
                i += 1;
            }
            _ => i += 1,
        }
    }
    if let Some(from) = word_start {
        finish_word(from, bytes.len(), &mut in_trigger, &mut trigger_depth);
    }
    statements.push(&sql[start.min(sql.len())..]);
    statements
        .into_iter()
        .map(str::trim)
        .filter(|s| !is_only_comments(s))
        .map(without_leading_comments)
        .collect()
}

/// The statement from its first line that is not a `--` comment.
fn without_leading_comments(statement: &str) -> &str {
    let mut rest = statement;
    while rest.starts_with("--") {
        rest = rest
            .split_once('\n')
            .map_or("", |(_, after)| after)
            .trim_start();
    }
    rest
}

fn is_only_comments(statement: &str) -> bool {
    statement
        .lines()
        .map(str::trim)
        .all(|line| line.is_empty() || line.starts_with("--"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
            assert!(
                m.name.starts_with(&format!("{:04}_", m.version)),
                "{}",
                m.name
            );
        }
    }

    #[test]
    fn the_first_migration_turns_on_wal_outside_a_transaction() {
        let first = MIGRATIONS[0];
        assert!(first.runs_outside_transaction());
        assert!(first.is_best_effort());
        assert!(
            MIGRATIONS[1..].iter().all(|m| !m.is_best_effort()),
            "schema is never optional"
        );
        assert!(first.sql.to_lowercase().contains("journal_mode = wal"));
    }

    #[test]
    fn statements_split_on_semicolons() {
        let parts = split_statements("CREATE TABLE a (x);\n\nCREATE TABLE b (y);\n");
        assert_eq!(parts, ["CREATE TABLE a (x)", "CREATE TABLE b (y)"]);
    }

    #[test]
    fn semicolons_in_quotes_and_comments_do_not_split() {
        let sql = "INSERT INTO t VALUES ('a;b', \"c;d\"); -- x; y\n/* p; q */ SELECT 'it''s;';";
        let parts = split_statements(sql);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert_eq!(parts[0], "INSERT INTO t VALUES ('a;b', \"c;d\")");
        assert!(parts[1].ends_with("SELECT 'it''s;'"), "{parts:?}");
    }

    #[test]
    fn trigger_bodies_stay_whole() {
        let sql = "CREATE TRIGGER t AFTER INSERT ON a BEGIN
                     UPDATE b SET n = CASE WHEN n > 0 THEN n + 1 ELSE 1 END;
                     DELETE FROM c;
                   END;
                   CREATE INDEX i ON a (x);";
        let parts = split_statements(sql);
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].ends_with("END"));
        assert_eq!(parts[1], "CREATE INDEX i ON a (x)");
    }

    #[test]
    fn leading_comment_lines_are_not_part_of_a_statement() {
        let parts =
            split_statements("-- about a\n-- more\nCREATE TABLE a (x); -- trailing\nSELECT 1;");
        assert_eq!(parts, ["CREATE TABLE a (x)", "SELECT 1"]);
    }

    #[test]
    fn comment_only_fragments_are_dropped() {
        assert!(split_statements("-- nothing here\n;\n  ").is_empty());
    }

    #[test]
    fn every_embedded_migration_splits_into_statements() {
        for m in MIGRATIONS {
            assert!(
                !split_statements(m.sql).is_empty(),
                "{} has no statement",
                m.name
            );
        }
    }
}
