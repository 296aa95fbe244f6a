//! The conformance suites: one list of cases per port, run by each native implementation
//! through the `*_conformance_tests!` macros (rusqlite; SQLite and Redis inboxes and
//! limiters). A case that passes here behaves the same on Spin, where the SQL and Lua text
//! is identical and only the transport differs.

use std::{any::Any, future::Future, sync::Arc, time::Duration};

use serde_json::json;

use crate::{
    Error,
    migrations::{self, MIGRATIONS},
    ports::{
        Clock, CursorStatus, Event, EventId, EventKind, Inbox, Limiter, Rate, Sql, Value, Verdict,
    },
    settings::Settings,
};

use super::FixedClock;

/// A port under test, the clock it uses, and whatever must stay alive meanwhile (a Redis
/// server, a temporary directory).
pub struct Fixture<T: ?Sized> {
    pub port: Arc<T>,
    pub clock: Arc<dyn Clock>,
    pub guard: Box<dyn Any + Send + Sync>,
}

/// Users unique to one test, so suites may share a backend.
fn user(name: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    format!("{name}-{}-{n}", std::process::id())
}

fn note(n: i64) -> Event {
    Event::new(EventKind::Notification, json!({ "n": n }))
}

/// Appends `note(n)` for each `n`, one append each, to `user`'s inbox.
async fn append_notes(inbox: &dyn Inbox, user: &str, ns: std::ops::RangeInclusive<i64>) {
    for n in ns {
        inbox.append(&[user.to_owned()], &note(n)).await.unwrap();
    }
}

fn numbers(events: &[crate::ports::Delivered]) -> Vec<i64> {
    events
        .iter()
        .map(|d| d.event.data["n"].as_i64().expect("n"))
        .collect()
}

// ---------------------------------------------------------------- Sql

pub mod sql {
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
        let changed = sql
            .execute(
                "INSERT INTO t (id, name) VALUES (?1, ?2), (?3, ?2)",
                &[1.into(), "same".into(), 2.into()],
            )
            .await
            .unwrap();
        assert_eq!(changed, 2);
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
        let updated = sql
            .execute("UPDATE t SET name = 'x' WHERE id > ?1", &[0.into()])
            .await
            .unwrap();
        assert_eq!(updated, 2);
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
        for (row, m) in recorded.iter().zip(MIGRATIONS) {
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
            ]
        );
    };
}

#[macro_export]
#[doc(hidden)]
macro_rules! __conformance_cases {
    ($suite:ident, $make:path, [$($case:ident),* $(,)?]) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $crate::testkit::conformance::$suite::$case($make).await;
            }
        )*
    };
}

// ---------------------------------------------------------------- Inbox

pub mod inbox {
    use super::*;

    /// Settings with a small retention, so trimming is reached quickly.
    pub fn small_retention(age: Duration) -> Settings {
        Settings {
            inbox_retention: 5,
            inbox_retention_age: age,
            inbox_poll_interval: Duration::from_millis(20),
            ..Settings::default()
        }
    }

    pub async fn appended_events_reach_every_recipient_in_order<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        let bus = make(Settings::default()).await;
        let inbox = bus.port.as_ref();
        let (a, b, c) = (user("a"), user("b"), user("c"));
        let start_a = inbox.latest(&a).await.unwrap();
        let start_b = inbox.latest(&b).await.unwrap();
        for n in 1..=5 {
            inbox
                .append(&[a.clone(), b.clone()], &note(n))
                .await
                .unwrap();
        }
        for (who, start) in [(&a, &start_a), (&b, &start_b)] {
            let got = inbox.read(who, start, Duration::ZERO, 100).await.unwrap();
            assert_eq!(numbers(&got), [1, 2, 3, 4, 5]);
            let ids: Vec<&EventId> = got.iter().map(|d| &d.id).collect();
            let mut unique = ids.clone();
            unique.dedup();
            assert_eq!(unique.len(), 5, "ids must be distinct: {ids:?}");
            assert_eq!(got[0].event.kind, EventKind::Notification);
        }
        let start_c = inbox.latest(&c).await.unwrap();
        let nothing = inbox.read(&c, &start_c, Duration::ZERO, 100).await.unwrap();
        assert!(nothing.is_empty(), "c was not a recipient");
    }

    pub async fn reading_after_an_id_returns_only_what_came_later<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        let bus = make(Settings::default()).await;
        let inbox = bus.port.as_ref();
        let a = user("a");
        append_notes(inbox, &a, 1..=3).await;
        let latest = inbox.latest(&a).await.unwrap();
        append_notes(inbox, &a, 4..=6).await;
        let got = inbox.read(&a, &latest, Duration::ZERO, 100).await.unwrap();
        assert_eq!(numbers(&got), [4, 5, 6]);
        let page = inbox.read(&a, &latest, Duration::ZERO, 2).await.unwrap();
        assert_eq!(numbers(&page), [4, 5], "max bounds the batch");
        let rest = inbox
            .read(&a, &page[1].id, Duration::ZERO, 100)
            .await
            .unwrap();
        assert_eq!(numbers(&rest), [6]);
        assert_eq!(inbox.latest(&a).await.unwrap(), got[2].id);
    }

    pub async fn duplicate_recipients_get_one_copy<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        let bus = make(Settings::default()).await;
        let inbox = bus.port.as_ref();
        let a = user("a");
        let start = inbox.latest(&a).await.unwrap();
        inbox
            .append(&[a.clone(), a.clone(), a.clone()], &note(1))
            .await
            .unwrap();
        inbox.append(&[], &note(2)).await.unwrap();
        let got = inbox.read(&a, &start, Duration::ZERO, 100).await.unwrap();
        assert_eq!(numbers(&got), [1]);
    }

    pub async fn a_waiting_read_wakes_when_an_event_arrives<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        let bus = make(small_retention(Duration::from_secs(86_400))).await;
        let inbox = bus.port.as_ref();
        let a = user("a");
        let start = inbox.latest(&a).await.unwrap();
        let reader = inbox.read(&a, &start, Duration::from_secs(10), 100);
        let writer = async {
            bus.clock.sleep(Duration::from_millis(150)).await;
            inbox
                .append(std::slice::from_ref(&a), &note(7))
                .await
                .unwrap();
        };
        let (got, ()) = futures::join!(reader, writer);
        assert_eq!(numbers(&got.unwrap()), [7]);
    }

    pub async fn a_waiting_read_with_nothing_new_returns_empty<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        let bus = make(small_retention(Duration::from_secs(86_400))).await;
        let inbox = bus.port.as_ref();
        let a = user("a");
        let start = inbox.latest(&a).await.unwrap();
        let got = inbox
            .read(&a, &start, Duration::from_millis(200), 100)
            .await
            .unwrap();
        assert!(got.is_empty());
    }

    pub async fn known_cursors_resume_and_foreign_ones_are_gaps<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        let bus = make(Settings::default()).await;
        let inbox = bus.port.as_ref();
        let a = user("a");
        let empty = inbox.latest(&a).await.unwrap();
        assert_eq!(
            inbox.cursor_status(&a, &empty).await.unwrap(),
            CursorStatus::Resumable
        );
        inbox
            .append(std::slice::from_ref(&a), &note(1))
            .await
            .unwrap();
        let latest = inbox.latest(&a).await.unwrap();
        assert_eq!(
            inbox.cursor_status(&a, &empty).await.unwrap(),
            CursorStatus::Resumable
        );
        assert_eq!(
            inbox.cursor_status(&a, &latest).await.unwrap(),
            CursorStatus::Resumable
        );
        for foreign in [
            "",
            "garbage",
            "-1",
            "1-2-3",
            "99999999999999",
            "99999999999999-0",
        ] {
            let status = inbox
                .cursor_status(&a, &EventId(foreign.into()))
                .await
                .unwrap();
            assert_eq!(status, CursorStatus::Gap, "{foreign:?}");
        }
        let invalid = inbox
            .read(&a, &EventId("garbage".into()), Duration::ZERO, 10)
            .await;
        assert!(matches!(invalid, Err(Error::Invalid { .. })), "{invalid:?}");
    }

    pub async fn old_events_beyond_retention_are_trimmed_and_reported_as_a_gap<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        // Age zero: everything beyond the newest 5 may go.
        let bus = make(small_retention(Duration::ZERO)).await;
        let inbox = bus.port.as_ref();
        let a = user("a");
        let start = inbox.latest(&a).await.unwrap();
        inbox
            .append(std::slice::from_ref(&a), &note(0))
            .await
            .unwrap();
        let first = inbox.latest(&a).await.unwrap();
        append_notes(inbox, &a, 1..=80).await;
        let retained = inbox.read(&a, &start, Duration::ZERO, 1000).await.unwrap();
        assert!(retained.len() >= 5, "at least the retention is kept");
        assert!(
            retained.len() < 81,
            "something was trimmed: {}",
            retained.len()
        );
        assert_eq!(numbers(&retained).last(), Some(&80));
        assert_eq!(
            inbox.cursor_status(&a, &start).await.unwrap(),
            CursorStatus::Gap
        );
        assert_eq!(
            inbox.cursor_status(&a, &first).await.unwrap(),
            CursorStatus::Gap
        );
        let recent = &retained[retained.len() - 5].id;
        assert_eq!(
            inbox.cursor_status(&a, recent).await.unwrap(),
            CursorStatus::Resumable
        );
        let tail = inbox.read(&a, recent, Duration::ZERO, 1000).await.unwrap();
        assert_eq!(numbers(&tail), [77, 78, 79, 80]);
    }

    pub async fn recent_events_outlive_the_count_until_they_age<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        let bus = make(small_retention(Duration::from_secs(86_400))).await;
        let inbox = bus.port.as_ref();
        let a = user("a");
        let start = inbox.latest(&a).await.unwrap();
        // Retention 5: the hard limit is 50, so 40 stay whole.
        append_notes(inbox, &a, 1..=40).await;
        let all = inbox.read(&a, &start, Duration::ZERO, 1000).await.unwrap();
        assert_eq!(all.len(), 40, "nothing is a day old yet");
        assert_eq!(
            inbox.cursor_status(&a, &start).await.unwrap(),
            CursorStatus::Resumable
        );
    }

    pub async fn no_inbox_grows_past_its_hard_limit_however_recent<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        // Retention 5 kept for a day, but never more than 50 (plus the trimming slack).
        let bus = make(small_retention(Duration::from_secs(86_400))).await;
        let inbox = bus.port.as_ref();
        let a = user("a");
        let start = inbox.latest(&a).await.unwrap();
        append_notes(inbox, &a, 1..=300).await;
        let kept = inbox.read(&a, &start, Duration::ZERO, 1000).await.unwrap();
        assert!(kept.len() >= 50, "the hard limit is kept: {}", kept.len());
        assert!(kept.len() <= 50 + 16, "and not much more: {}", kept.len());
        assert_eq!(numbers(&kept).last(), Some(&300));
        assert_eq!(
            inbox.cursor_status(&a, &start).await.unwrap(),
            CursorStatus::Gap,
            "a reader that far behind gets resync"
        );
    }

    pub async fn events_fan_out_to_many_inboxes_in_one_call<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        let bus = make(Settings::default()).await;
        let inbox = bus.port.as_ref();
        let users: Vec<String> = (0..450).map(|i| user(&format!("m{i}"))).collect();
        inbox.append(&users, &note(42)).await.unwrap();
        for u in [&users[0], &users[399], &users[449]] {
            let got = inbox
                .read(u, &EventId(zero(inbox)), Duration::ZERO, 10)
                .await
                .unwrap();
            assert_eq!(numbers(&got), [42], "{u}");
        }
    }

    pub async fn an_event_appended_twice_under_one_key_arrives_once<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        let bus = make(Settings::default()).await;
        let inbox = bus.port.as_ref();
        let (a, b) = (user("a"), user("b"));
        let both = [a.clone(), b.clone()];
        let start = inbox.latest(&a).await.unwrap();
        // A retry after a lost reply, and racing retries: one copy each.
        inbox.append(&both, &note(1).keyed("k-1")).await.unwrap();
        inbox.append(&both, &note(1).keyed("k-1")).await.unwrap();
        let racing = (0..4).map(|_| async {
            let event = note(2).keyed("k-2");
            inbox.append(&both, &event).await
        });
        for outcome in futures::future::join_all(racing).await {
            outcome.unwrap();
        }
        // Unkeyed events are not deduplicated: each append is a new event.
        inbox.append(&both, &note(3)).await.unwrap();
        inbox.append(&both, &note(3)).await.unwrap();
        for u in [&a, &b] {
            let got = inbox.read(u, &start, Duration::ZERO, 100).await.unwrap();
            assert_eq!(numbers(&got), [1, 2, 3, 3], "{u}");
        }
    }

    pub async fn settled_reports_the_keys_whose_append_is_in<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        let bus = make(Settings::default()).await;
        let inbox = bus.port.as_ref();
        let a = user("a");
        inbox
            .append(std::slice::from_ref(&a), &note(1).keyed("in-1"))
            .await
            .unwrap();
        inbox
            .append(std::slice::from_ref(&a), &note(2).keyed("in-2"))
            .await
            .unwrap();
        let asked: Vec<String> = ["in-1", "never-appended", "in-2"]
            .map(String::from)
            .to_vec();
        let mut settled = inbox.settled(&asked).await.unwrap();
        settled.sort();
        assert_eq!(settled, ["in-1", "in-2"]);
        assert!(inbox.settled(&[]).await.unwrap().is_empty());
        // Settled keys are still refused for a while: a retry in flight adds nothing.
        let start = EventId(zero(inbox));
        inbox
            .append(std::slice::from_ref(&a), &note(1).keyed("in-1"))
            .await
            .unwrap();
        let got = inbox.read(&a, &start, Duration::ZERO, 10).await.unwrap();
        assert_eq!(numbers(&got), [1, 2]);
    }

    fn zero(inbox: &dyn Inbox) -> String {
        match inbox.backend() {
            crate::ports::BusBackend::Redis => "0-0".into(),
            crate::ports::BusBackend::Sqlite => "0".into(),
        }
    }

    pub async fn ping_answers<F, Fut>(make: F)
    where
        F: Fn(Settings) -> Fut,
        Fut: Future<Output = Fixture<dyn Inbox>>,
    {
        let bus = make(Settings::default()).await;
        bus.port.ping().await.unwrap();
    }
}

#[macro_export]
/// Generates one `#[tokio::test]` per `Inbox` conformance case, over `$make`: an async fn
/// taking `Settings` and returning a `Fixture<dyn Inbox>`.
macro_rules! inbox_conformance_tests {
    ($make:path) => {
        $crate::__conformance_cases!(
            inbox,
            $make,
            [
                appended_events_reach_every_recipient_in_order,
                reading_after_an_id_returns_only_what_came_later,
                duplicate_recipients_get_one_copy,
                a_waiting_read_wakes_when_an_event_arrives,
                a_waiting_read_with_nothing_new_returns_empty,
                known_cursors_resume_and_foreign_ones_are_gaps,
                old_events_beyond_retention_are_trimmed_and_reported_as_a_gap,
                recent_events_outlive_the_count_until_they_age,
                no_inbox_grows_past_its_hard_limit_however_recent,
                events_fan_out_to_many_inboxes_in_one_call,
                an_event_appended_twice_under_one_key_arrives_once,
                settled_reports_the_keys_whose_append_is_in,
                ping_answers,
            ]
        );
    };
}

// ---------------------------------------------------------------- Limiter

pub mod limiter {
    use super::*;

    fn limited(v: Verdict) -> Duration {
        match v {
            Verdict::Limited { retry_after } => retry_after,
            Verdict::Allowed => panic!("expected a refusal"),
        }
    }

    pub async fn a_burst_is_allowed_then_refused_with_a_retry_time<F, Fut>(make: F)
    where
        F: Fn(Arc<FixedClock>) -> Fut,
        Fut: Future<Output = Fixture<dyn Limiter>>,
    {
        let clock = Arc::new(FixedClock::at(1_700_000_000_000));
        let lim = make(clock.clone()).await;
        let key = user("burst");
        let rate = Rate::bucket(3, 2.0);
        for _ in 0..3 {
            assert!(lim.port.acquire(&key, rate).await.unwrap().is_allowed());
        }
        let wait = limited(lim.port.acquire(&key, rate).await.unwrap());
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
    }

    pub async fn tokens_come_back_at_the_rate<F, Fut>(make: F)
    where
        F: Fn(Arc<FixedClock>) -> Fut,
        Fut: Future<Output = Fixture<dyn Limiter>>,
    {
        let clock = Arc::new(FixedClock::at(1_700_000_000_000));
        let lim = make(clock.clone()).await;
        let key = user("refill");
        let rate = Rate::per_window(2, Duration::from_secs(60));
        assert!(lim.port.acquire(&key, rate).await.unwrap().is_allowed());
        assert!(lim.port.acquire(&key, rate).await.unwrap().is_allowed());
        let wait = limited(lim.port.acquire(&key, rate).await.unwrap());
        assert!(
            wait <= Duration::from_secs(30) && wait > Duration::from_secs(29),
            "{wait:?}"
        );
        clock.advance(Duration::from_secs(10));
        let wait = limited(lim.port.acquire(&key, rate).await.unwrap());
        assert!(
            wait <= Duration::from_secs(20) && wait > Duration::from_secs(19),
            "{wait:?}"
        );
        clock.advance(Duration::from_secs(21));
        assert!(lim.port.acquire(&key, rate).await.unwrap().is_allowed());
        assert!(!lim.port.acquire(&key, rate).await.unwrap().is_allowed());
        clock.advance(Duration::from_secs(3600));
        for _ in 0..2 {
            assert!(
                lim.port.acquire(&key, rate).await.unwrap().is_allowed(),
                "refills to burst only"
            );
        }
        assert!(!lim.port.acquire(&key, rate).await.unwrap().is_allowed());
    }

    pub async fn check_does_not_take_a_token<F, Fut>(make: F)
    where
        F: Fn(Arc<FixedClock>) -> Fut,
        Fut: Future<Output = Fixture<dyn Limiter>>,
    {
        let clock = Arc::new(FixedClock::at(1_700_000_000_000));
        let lim = make(clock).await;
        let key = user("check");
        let rate = Rate::bucket(1, 0.1);
        for _ in 0..3 {
            assert!(lim.port.check(&key, rate).await.unwrap().is_allowed());
        }
        assert!(lim.port.acquire(&key, rate).await.unwrap().is_allowed());
        let wait = limited(lim.port.check(&key, rate).await.unwrap());
        assert!(wait > Duration::from_secs(9), "{wait:?}");
    }

    pub async fn reset_refills_and_keys_are_independent<F, Fut>(make: F)
    where
        F: Fn(Arc<FixedClock>) -> Fut,
        Fut: Future<Output = Fixture<dyn Limiter>>,
    {
        let clock = Arc::new(FixedClock::at(1_700_000_000_000));
        let lim = make(clock).await;
        let (k1, k2) = (user("k1"), user("k2"));
        let rate = Rate::bucket(1, 0.001);
        assert!(lim.port.acquire(&k1, rate).await.unwrap().is_allowed());
        assert!(!lim.port.acquire(&k1, rate).await.unwrap().is_allowed());
        assert!(
            lim.port.acquire(&k2, rate).await.unwrap().is_allowed(),
            "other key unaffected"
        );
        lim.port.reset(&k1).await.unwrap();
        assert!(lim.port.acquire(&k1, rate).await.unwrap().is_allowed());
    }

    pub async fn concurrent_acquires_never_exceed_the_burst<F, Fut>(make: F)
    where
        F: Fn(Arc<FixedClock>) -> Fut,
        Fut: Future<Output = Fixture<dyn Limiter>>,
    {
        let clock = Arc::new(FixedClock::at(1_700_000_000_000));
        let lim = make(clock).await;
        let key = user("race");
        let rate = Rate::bucket(5, 0.001);
        let attempts = (0..24).map(|_| lim.port.acquire(&key, rate));
        let results = futures::future::join_all(attempts).await;
        let granted = results
            .into_iter()
            .filter(|r| r.as_ref().unwrap().is_allowed())
            .count();
        assert_eq!(granted, 5);
    }
}

#[macro_export]
/// Generates one `#[tokio::test]` per `Limiter` conformance case, over `$make`: an async
/// fn taking the `Arc<FixedClock>` to read time from and returning a `Fixture<dyn Limiter>`.
macro_rules! limiter_conformance_tests {
    ($make:path) => {
        $crate::__conformance_cases!(
            limiter,
            $make,
            [
                a_burst_is_allowed_then_refused_with_a_retry_time,
                tokens_come_back_at_the_rate,
                check_does_not_take_a_token,
                reset_refills_and_keys_are_independent,
                concurrent_acquires_never_exceed_the_burst,
            ]
        );
    };
}
