//! Conformance cases of the `Sql` port (rusqlite natively; Spin's host runs the same SQL).

use super::*;

pub async fn executes_and_queries_with_positional_parameters<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Fixture<dyn Sql>>,
{
    let db = make().await;
    let sql = db.port.as_ref();
    sql.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
        &[],
    )
    .await
    .unwrap();
    sql.execute(
        "INSERT INTO t (id, name) VALUES (?1, ?2), (?3, ?2)",
        &[1.into(), "same".into(), 2.into()],
    )
    .await
    .unwrap();
    let rows = sql
        .query(
            "SELECT id, name FROM t WHERE name = ?1 ORDER BY id",
            &["same".into()],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1].get::<i64>(0).unwrap(), 2);
    assert_eq!(rows[1].get::<String>(1).unwrap(), "same");
    // What a statement changed is counted by its RETURNING rows (the port has no change
    // count: Spin's libSQL client reports a stale one).
    let updated = sql
        .query(
            "UPDATE t SET name = 'x' WHERE id > ?1 RETURNING id",
            &[0.into()],
        )
        .await
        .unwrap();
    assert_eq!(updated.len(), 2);
    let ignored = sql
        .query(
            "INSERT INTO t (id, name) VALUES (1, 'again') ON CONFLICT DO NOTHING RETURNING 1",
            &[],
        )
        .await
        .unwrap();
    assert!(ignored.is_empty(), "a row not inserted returns nothing");
}

pub async fn round_trips_every_value_type<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Fixture<dyn Sql>>,
{
    let db = make().await;
    let sql = db.port.as_ref();
    let values = vec![
        Value::Null,
        Value::Integer(i64::MIN),
        Value::Real(1.5),
        Value::Text("héllo ✓ 'quoted'; DROP TABLE t".into()),
        Value::Blob(vec![0, 255, 7]),
    ];
    let rows = sql
        .query("SELECT ?1, ?2, ?3, ?4, ?5", &values)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, values);
    assert_eq!(rows[0].get::<Option<String>>(0).unwrap(), None);
    assert!(matches!(rows[0].get::<String>(1), Err(Error::Data(_))));
    assert!(matches!(rows[0].get::<i64>(9), Err(Error::Data(_))));
}

pub async fn errors_surface_as_database_errors<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Fixture<dyn Sql>>,
{
    let db = make().await;
    let sql = db.port.as_ref();
    sql.execute("CREATE TABLE u (name TEXT PRIMARY KEY)", &[])
        .await
        .unwrap();
    sql.execute("INSERT INTO u VALUES ('a')", &[])
        .await
        .unwrap();
    let duplicate = sql.execute("INSERT INTO u VALUES ('a')", &[]).await;
    assert!(
        matches!(duplicate, Err(Error::Database(_))),
        "{duplicate:?}"
    );
    let missing = sql.query("SELECT * FROM nowhere", &[]).await;
    assert!(matches!(missing, Err(Error::Database(_))), "{missing:?}");
    let syntax = sql.execute("SELEKT 1", &[]).await;
    assert!(matches!(syntax, Err(Error::Database(_))), "{syntax:?}");
    // A failing RETURNING insert must fail, not return an empty list.
    let returning = sql
        .query("INSERT INTO u VALUES ('a') RETURNING name", &[])
        .await;
    assert!(
        matches!(returning, Err(Error::Database(_))),
        "{returning:?}"
    );
}

pub async fn committed_transactions_persist_and_dropped_ones_roll_back<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Fixture<dyn Sql>>,
{
    let db = make().await;
    let sql = db.port.as_ref();
    sql.execute("CREATE TABLE n (v INTEGER)", &[])
        .await
        .unwrap();

    let mut tx = sql.begin().await.unwrap();
    tx.execute("INSERT INTO n VALUES (1)", &[]).await.unwrap();
    let inside = tx.query("SELECT count(*) FROM n", &[]).await.unwrap();
    assert_eq!(inside[0].get::<i64>(0).unwrap(), 1);
    tx.commit().await.unwrap();

    let mut tx = sql.begin().await.unwrap();
    tx.execute("INSERT INTO n VALUES (2)", &[]).await.unwrap();
    drop(tx);

    let mut tx = sql.begin().await.unwrap();
    tx.execute("INSERT INTO n VALUES (3)", &[]).await.unwrap();
    assert!(
        tx.execute("INSERT INTO nowhere VALUES (1)", &[])
            .await
            .is_err()
    );
    drop(tx);

    let rows = sql.query("SELECT v FROM n ORDER BY v", &[]).await.unwrap();
    let got: Vec<i64> = rows.iter().map(|r| r.get(0).unwrap()).collect();
    assert_eq!(got, [1]);
}

pub async fn migrations_apply_once_record_versions_and_enable_wal<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Fixture<dyn Sql>>,
{
    let db = make().await;
    let sql = db.port.as_ref();
    assert_eq!(migrations::current_version(sql).await.unwrap(), 0);
    migrations::migrate(sql).await.unwrap();
    migrations::migrate(sql).await.unwrap();
    assert_eq!(
        migrations::current_version(sql).await.unwrap(),
        migrations::latest_version()
    );
    let recorded = sql
        .query(
            "SELECT version, name FROM schema_migrations ORDER BY version",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(recorded.len(), MIGRATIONS.len());
    for (row, m) in recorded.iter().zip(MIGRATIONS.iter()) {
        assert_eq!(row.get::<i64>(0).unwrap(), m.version);
        assert_eq!(row.get::<String>(1).unwrap(), m.name);
    }
    let mode = sql.query("PRAGMA journal_mode", &[]).await.unwrap();
    assert_eq!(mode[0].get::<String>(0).unwrap().to_lowercase(), "wal");
}

pub async fn a_late_early_migration_never_stamps_the_version_back<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Fixture<dyn Sql>>,
{
    let db = make().await;
    let sql = db.port.as_ref();
    migrations::migrate(sql).await.unwrap();
    // A slow request is only now recording the first file (it runs outside a
    // transaction and is idempotent), after another applied them all.
    for first in MIGRATIONS.iter().take(1) {
        sql.execute(
            "DELETE FROM schema_migrations WHERE version = ?1",
            &[Value::Integer(first.version)],
        )
        .await
        .unwrap();
        migrations::apply(sql, first).await.unwrap();
        assert_eq!(
            migrations::current_version(sql).await.unwrap(),
            migrations::latest_version(),
            "{} stamped the version back",
            first.name
        );
    }
}

pub async fn racing_migrations_apply_each_file_once<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Fixture<dyn Sql>>,
{
    let db = make().await;
    let sql = db.port.clone();
    let racers = (0..8).map(|_| {
        let sql = sql.clone();
        async move { migrations::migrate(sql.as_ref()).await }
    });
    for result in futures::future::join_all(racers).await {
        result.unwrap();
    }
    let count = sql
        .query("SELECT count(*) FROM schema_migrations", &[])
        .await
        .unwrap();
    assert_eq!(count[0].get::<i64>(0).unwrap(), MIGRATIONS.len() as i64);
}

/// Rooms made before rooms had owners (migration 22): the longest-standing member owns
/// each, direct conversations stay without one, and a private room's invite secret is its
/// id, so links already shared keep working.
pub async fn rooms_from_before_moderation_get_an_owner_and_an_invite_code<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Fixture<dyn Sql>>,
{
    let db = make().await;
    let sql = db.port.as_ref();
    let (before, moderation): (Vec<_>, Vec<_>) = MIGRATIONS.iter().partition(|m| m.version < 22);
    sql.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                                         applied_at_ms INTEGER NOT NULL)",
        &[],
    )
    .await
    .unwrap();
    for migration in before {
        migrations::apply(sql, migration).await.unwrap();
    }
    for (id, name) in [("u1", "ann"), ("u2", "bob"), ("u3", "cat")] {
        sql.execute(
            "INSERT INTO users (id, username, display_name, display_name_key, password_hash,
                                created_at_ms)
             VALUES (?1, ?2, ?2, ?2, '!', 0)",
            &[id.into(), name.into()],
        )
        .await
        .unwrap();
    }
    let secret = "ab".repeat(32);
    for (id, kind, name) in [
        ("lobby-id", "room", Some("lobby")),
        (secret.as_str(), "room", None),
        ("direct-id", "direct", None),
    ] {
        sql.execute(
            "INSERT INTO conversations (id, kind, name, direct_key, created_at_ms,
                                        last_activity_ms)
             VALUES (?1, ?2, ?3, CASE WHEN ?2 = 'direct' THEN 'u1:u2' END, 0, 0)",
            &[id.into(), kind.into(), name.into()],
        )
        .await
        .unwrap();
    }
    // Bob came to the lobby first; ann made the private room; the direct pair joined at once.
    for (room, user, at) in [
        ("lobby-id", "u1", 20),
        ("lobby-id", "u2", 10),
        ("lobby-id", "u3", 30),
        (secret.as_str(), "u1", 5),
        (secret.as_str(), "u3", 6),
        ("direct-id", "u1", 1),
        ("direct-id", "u2", 1),
    ] {
        sql.execute(
            "INSERT INTO members (conversation_id, user_id, joined_at_ms) VALUES (?1, ?2, ?3)",
            &[room.into(), user.into(), Value::Integer(at)],
        )
        .await
        .unwrap();
    }
    for migration in moderation {
        migrations::apply(sql, migration).await.unwrap();
    }
    let owners = sql
        .query(
            "SELECT conversation_id, user_id FROM members WHERE role = 'owner'
              ORDER BY conversation_id",
            &[],
        )
        .await
        .unwrap();
    let owners: Vec<(String, String)> = owners
        .iter()
        .map(|r| (r.get(0).unwrap(), r.get(1).unwrap()))
        .collect();
    assert_eq!(
        owners,
        [
            (secret.clone(), "u1".to_owned()),
            ("lobby-id".to_owned(), "u2".to_owned())
        ]
    );
    let codes = sql
        .query("SELECT id, invite_code FROM conversations ORDER BY id", &[])
        .await
        .unwrap();
    let codes: Vec<(String, Option<String>)> = codes
        .iter()
        .map(|r| (r.get(0).unwrap(), r.get(1).unwrap()))
        .collect();
    assert_eq!(
        codes,
        [
            (secret.clone(), Some(secret.clone())),
            ("direct-id".to_owned(), None),
            ("lobby-id".to_owned(), None)
        ]
    );
    // And the room passes on when its owner goes: to the longest-standing member left.
    sql.execute(
        "DELETE FROM members WHERE conversation_id = 'lobby-id' AND user_id = 'u2'",
        &[],
    )
    .await
    .unwrap();
    let owner = sql
        .query(
            "SELECT user_id FROM members WHERE conversation_id = 'lobby-id' AND role = 'owner'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(owner[0].get::<String>(0).unwrap(), "u1");
}

#[macro_export]
/// Generates one `#[tokio::test]` per `Sql` conformance case, over `$make`: an async fn
/// returning a `Fixture<dyn Sql>` on a fresh, empty database.
macro_rules! sql_conformance_tests {
    ($make:path) => {
        $crate::__conformance_cases!(
            sql,
            $make,
            [
                executes_and_queries_with_positional_parameters,
                round_trips_every_value_type,
                errors_surface_as_database_errors,
                committed_transactions_persist_and_dropped_ones_roll_back,
                migrations_apply_once_record_versions_and_enable_wal,
                a_late_early_migration_never_stamps_the_version_back,
                racing_migrations_apply_each_file_once,
                rooms_from_before_moderation_get_an_owner_and_an_invite_code,
            ]
        );
    };
}
