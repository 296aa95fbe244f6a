//! Schema migrations: `migrations/NNNN_name/NN_what.sql`, a directory per migration and one
//! statement per file (Spin's SQLite runs one statement per call, so nothing needs
//! splitting), embedded at compile time and applied by whichever request first finds the
//! database behind. Safe when requests race: each migration runs inside `BEGIN IMMEDIATE`,
//! which lets one writer in at a time, and re-checks `schema_migrations` once inside.

use std::{collections::BTreeMap, sync::LazyLock};

use rust_embed::Embed;

use crate::{
    Result,
    ports::{Sql, SqlTransaction, Value},
};

/// Every file of `migrations/`, embedded: the directories are the list, so a new
/// migration is a new directory and nothing else. Only `*.sql` files are statements.
#[derive(Embed)]
#[folder = "../../migrations"]
struct Files;

/// One migration: a directory of statement files.
#[derive(Debug, Clone)]
pub struct Migration {
    /// The number at the front of its directory name.
    pub version: i64,
    /// The directory name (recorded in `schema_migrations`).
    pub name: String,
    /// Its statements, in file-name order.
    pub statements: Vec<Statement>,
    /// Runs outside a transaction: its first file starts with [`Migration::NO_TRANSACTION`].
    outside_transaction: bool,
    /// A refused statement is logged and skipped: a file carries [`Migration::BEST_EFFORT`].
    best_effort: bool,
}

/// One statement of a migration: one file.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The file name within the migration's directory.
    pub file: String,
    /// The SQL, without the file's leading comment lines and its final `;`.
    pub sql: String,
}

impl Migration {
    /// Statements such as `PRAGMA journal_mode` cannot run inside a transaction; a
    /// migration whose first file starts with this marker runs outside one (it must be
    /// idempotent).
    pub const NO_TRANSACTION: &'static str = "-- chat:no-transaction";

    /// A migration with a file that carries this marker tunes the database rather than
    /// shaping it: a statement the host refuses (libSQL/Turso manages its own journal, for
    /// one) is logged and skipped instead of failing every request.
    pub const BEST_EFFORT: &'static str = "-- chat:best-effort";

    /// The migration of directory `name` from its `(file name, text)` pairs; `None` when the
    /// name does not start with a number.
    fn new(name: &str, mut files: Vec<(String, String)>) -> Option<Self> {
        let version = version_of(name)?;
        files.sort();
        let outside_transaction = files
            .first()
            .is_some_and(|(_, text)| text.trim_start().starts_with(Self::NO_TRANSACTION));
        let best_effort = files
            .iter()
            .any(|(_, text)| text.lines().any(|line| line.trim() == Self::BEST_EFFORT));
        let statements = files
            .into_iter()
            .map(|(file, text)| Statement {
                sql: statement_of(&text).to_owned(),
                file,
            })
            .collect();
        Some(Migration {
            version,
            name: name.to_owned(),
            statements,
            outside_transaction,
            best_effort,
        })
    }

    fn sets_journal_mode(&self) -> bool {
        self.statements
            .iter()
            .any(|s| s.sql.to_ascii_lowercase().contains("journal_mode"))
    }
}

/// The number at the front of a migration directory's name (`0004_contacts` is 4).
fn version_of(directory: &str) -> Option<i64> {
    directory.split_once('_')?.0.parse().ok()
}

/// The migration directory of an embedded statement file's path (`0004_contacts` of
/// `0004_contacts/01_friendships.sql`); `None` for anything that is not a statement file.
fn directory_of(path: &str) -> Option<(&str, &str)> {
    path.split_once('/')
        .filter(|(_, file)| file.ends_with(".sql"))
}

/// A statement file's SQL: its text from the first line that is not a `--` comment, less
/// the terminating `;` (comments explain the statement; they are not sent).
fn statement_of(text: &str) -> &str {
    let mut rest = text.trim();
    while rest.starts_with("--") {
        rest = rest
            .split_once('\n')
            .map_or("", |(_, after)| after)
            .trim_start();
    }
    rest.strip_suffix(';').unwrap_or(rest).trim_end()
}

/// Every migration, in order: the directories of `migrations/`, read from the embedded
/// files on first use. Add a new directory at the end; never edit an applied one.
pub static MIGRATIONS: LazyLock<Vec<Migration>> = LazyLock::new(|| {
    let mut directories: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for path in Files::iter() {
        let Some((directory, file)) = directory_of(&path) else {
            continue;
        };
        let Some(embedded) = Files::get(&path) else {
            continue;
        };
        let text = String::from_utf8_lossy(&embedded.data).into_owned();
        directories
            .entry(directory.to_owned())
            .or_default()
            .push((file.to_owned(), text));
    }
    directories
        .into_iter()
        .filter_map(|(name, files)| Migration::new(&name, files))
        .collect()
});

/// The newest schema version this build knows. Read from the embedded file names alone:
/// every request on Spin is a fresh instance that asks this before anything else, and most
/// find the database current, so they never need [`MIGRATIONS`] read and parsed.
pub fn latest_version() -> i64 {
    Files::iter()
        .filter_map(|path| directory_of(&path).and_then(|(directory, _)| version_of(directory)))
        .max()
        .unwrap_or(0)
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
    for migration in MIGRATIONS.iter() {
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
    let record = [version.clone(), Value::from(migration.name.as_str())];

    if migration.outside_transaction {
        if !sql.query(IS_APPLIED, &[version]).await?.is_empty() {
            return Ok(());
        }
        for statement in &migration.statements {
            match sql.execute(&statement.sql, &[]).await {
                Ok(_) => {}
                Err(e) if migration.best_effort => {
                    tracing::warn!(
                        "migration {}: skipped {}: {e}",
                        migration.name,
                        statement.file
                    );
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
    for statement in &migration.statements {
        tx.execute(&statement.sql, &[]).await?;
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
    if !migration.sets_journal_mode() {
        return Ok(());
    }
    let rows = sql.query("PRAGMA journal_mode", &[]).await?;
    let mode: Option<String> = rows.first().map(|r| r.get(0)).transpose()?;
    if !mode
        .as_deref()
        .is_some_and(|m| m.eq_ignore_ascii_case("wal"))
    {
        tracing::warn!(
            "migration {}: journal_mode is {mode:?}, not WAL: expect readers and writers to wait on each other",
            migration.name
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_from_one() {
        assert!(!MIGRATIONS.is_empty());
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
    fn the_latest_version_is_the_last_migration() {
        assert_eq!(
            latest_version(),
            MIGRATIONS.last().map(|m| m.version).expect("migrations")
        );
    }

    #[test]
    fn statement_files_are_numbered_in_order_from_one_and_each_holds_a_statement() {
        for m in MIGRATIONS.iter() {
            assert!(!m.statements.is_empty(), "{} has no statement", m.name);
            for (i, s) in m.statements.iter().enumerate() {
                assert!(
                    s.file.starts_with(&format!("{:02}_", i + 1)) && s.file.ends_with(".sql"),
                    "{}/{}",
                    m.name,
                    s.file
                );
                assert!(!s.sql.is_empty(), "{}/{} is empty", m.name, s.file);
            }
        }
    }

    #[test]
    fn the_first_migration_turns_on_wal_outside_a_transaction() {
        let first = &MIGRATIONS[0];
        assert!(first.outside_transaction);
        assert!(first.best_effort);
        assert!(first.sets_journal_mode());
        assert!(
            MIGRATIONS[1..]
                .iter()
                .all(|m| !m.best_effort && !m.outside_transaction),
            "schema is never optional"
        );
        assert_eq!(first.statements[0].sql, "PRAGMA journal_mode = WAL");
    }

    #[test]
    fn a_statement_is_sent_without_its_leading_comments_and_final_semicolon() {
        assert_eq!(
            statement_of("-- about a\n-- more\n\nCREATE TABLE a (\n    x -- why\n);\n"),
            "CREATE TABLE a (\n    x -- why\n)"
        );
        assert_eq!(statement_of("SELECT 1"), "SELECT 1");
        assert_eq!(statement_of("-- nothing here\n"), "");
    }

    #[test]
    fn a_trigger_stays_one_statement() {
        let trigger = MIGRATIONS
            .iter()
            .flat_map(|m| &m.statements)
            .find(|s| s.sql.starts_with("CREATE TRIGGER"))
            .expect("migration 0006 creates a trigger");
        assert!(trigger.sql.ends_with("END"), "{}", trigger.sql);
        assert!(trigger.sql.matches(';').count() >= 2, "its body is whole");
    }
}
