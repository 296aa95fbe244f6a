//! The embedded inbox: one SQLite row per (recipient, event), read by polling. It needs
//! nothing but the database, so `spin up` works with no Redis at all.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use super::{hard_limit, trim_slack, unique};
use crate::{
    Error, Result,
    ids::UserId,
    ports::{BusBackend, Clock, CursorStatus, Delivered, Envelope, EventId, Inbox, Sql, Value},
    settings::Settings,
    time::millis,
};

/// While a read is young (the stream has just delivered, so its conversations are
/// active), it polls at most this often: half of it is the average added latency.
const FAST_POLL: Duration = Duration::from_millis(8);
/// Polls per second that all open streams together may spend while fast. Measured on
/// Spin, a poll costs a host call of ~35 us of CPU, so this is about 45 % of one core
/// however many streams are open: 100 streams poll every 8 ms, 500 every 40 ms (beyond
/// that, latency grows instead of the CPU bill).
const FAST_POLLS_PER_SECOND: f64 = 12_500.0;
/// How long a read keeps polling fast before it backs off towards the configured interval.
const FAST_FOR: Duration = Duration::from_secs(1);
/// How often a stream recounts the open streams it shares the budget with.
const RECOUNT_EVERY_MS: i64 = 5_000;

/// Inboxes in the `inbox_events` table.
pub struct SqlInbox {
    sql: Arc<dyn Sql>,
    clock: Arc<dyn Clock>,
    retention: u32,
    retention_age: Duration,
    poll_interval: Duration,
    /// The open streams, counted by their leases, and when they were counted.
    streams_counted: std::sync::Mutex<Option<(i64, i64)>>,
    /// Rung and not yet seen by a [`Inbox::read_many`]: the next poll ends the read.
    rung: AtomicBool,
}

impl SqlInbox {
    /// An inbox over `sql`, polling with `clock` as `settings` say.
    pub fn new(sql: Arc<dyn Sql>, clock: Arc<dyn Clock>, settings: &Settings) -> Self {
        SqlInbox {
            sql,
            clock,
            retention: settings.inbox_retention,
            retention_age: settings.inbox_retention_age,
            poll_interval: settings.inbox_poll_interval,
            streams_counted: std::sync::Mutex::new(None),
            rung: AtomicBool::new(false),
        }
    }

    /// [`FAST_POLL`], stretched so that the polls of every open stream stay within
    /// [`FAST_POLLS_PER_SECOND`] while fast, for a poll that serves `readers` streams at
    /// once. Open streams are counted by their presence leases (every stream holds one),
    /// every few seconds.
    async fn fast_poll(&self, readers: usize) -> Result<Duration> {
        let now = self.clock.now_ms();
        let cached = self
            .streams_counted
            .lock()
            .ok()
            .and_then(|cached| *cached)
            .filter(|(_, at)| now - at < RECOUNT_EVERY_MS);
        let streams = match cached {
            Some((streams, _)) => streams,
            None => {
                let rows = self
                    .sql
                    .query(
                        "SELECT count(*) FROM stream_leases WHERE expires_at_ms > ?1",
                        &[Value::Integer(now)],
                    )
                    .await?;
                let streams: i64 = rows.first().map(|r| r.get(0)).transpose()?.unwrap_or(1);
                if let Ok(mut cached) = self.streams_counted.lock() {
                    *cached = Some((streams, now));
                }
                streams
            }
        };
        let readers = i64::try_from(readers.max(1)).unwrap_or(i64::MAX);
        Ok(budgeted_fast_poll(
            (streams + readers - 1) / readers,
            self.poll_interval,
        ))
    }

    /// Trims the inboxes whose own count of events (`seq`, numbered by the append) just
    /// reached another `trim_every`.
    async fn trim_due(&self, inserted: &[crate::ports::Row]) -> Result<()> {
        let trim_every = i64::from(trim_slack(self.retention));
        for row in inserted {
            let seq: i64 = row.get(2)?;
            if seq % trim_every == 0 {
                let user: String = row.get(0)?;
                self.trim(&user).await?;
            }
        }
        Ok(())
    }

    /// Deletes what lies beyond `user`'s newest `retention` events and is older than the
    /// retention age, first recording the highest id removed so resuming readers see a gap.
    async fn trim(&self, user: &str) -> Result<()> {
        let cutoff = self.clock.now_ms() - millis(self.retention_age);
        let params = [
            Value::from(user),
            Value::from(self.retention),
            Value::Integer(cutoff),
            Value::from(hard_limit(self.retention)),
        ];
        // Beyond the newest `retention` and older than the cutoff, or beyond the hard limit.
        let doomed = "user_id = ?1 AND (
                (created_ms < ?3 AND id <= (SELECT id FROM inbox_events WHERE user_id = ?1
                                            ORDER BY id DESC LIMIT 1 OFFSET ?2))
             OR id <= (SELECT id FROM inbox_events WHERE user_id = ?1
                       ORDER BY id DESC LIMIT 1 OFFSET ?4))";
        let mut tx = self.sql.begin().await?;
        let rows = tx
            .query(
                &format!("SELECT max(id) FROM inbox_events WHERE {doomed}"),
                &params,
            )
            .await?;
        let Some(max_trimmed) = rows.first().map(|r| r.get::<Option<i64>>(0)).transpose()? else {
            return Ok(());
        };
        let Some(max_trimmed) = max_trimmed else {
            return Ok(());
        };
        tx.execute(
            "INSERT INTO inbox_trims (user_id, max_trimmed_id) VALUES (?1, ?2)
             ON CONFLICT (user_id) DO UPDATE SET
                max_trimmed_id = max(max_trimmed_id, excluded.max_trimmed_id)",
            &[Value::from(user), Value::Integer(max_trimmed)],
        )
        .await?;
        tx.execute(&format!("DELETE FROM inbox_events WHERE {doomed}"), &params)
            .await?;
        tx.commit().await
    }
}

/// The fast poll interval when `streams` streams share [`FAST_POLLS_PER_SECOND`]: never
/// faster than [`FAST_POLL`], never slower than the configured `ceiling`.
fn budgeted_fast_poll(streams: i64, ceiling: Duration) -> Duration {
    let share = Duration::from_secs_f64(streams.max(1) as f64 / FAST_POLLS_PER_SECOND);
    share.max(FAST_POLL).min(ceiling)
}

fn parse_cursor(cursor: &EventId) -> Option<i64> {
    if cursor.0.is_empty() || !cursor.0.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    cursor.0.parse().ok()
}

#[async_trait::async_trait]
impl Inbox for SqlInbox {
    fn backend(&self) -> BusBackend {
        BusBackend::Sqlite
    }

    async fn append(&self, recipients: &[UserId], envelope: &Envelope) -> Result<()> {
        let recipients = unique(recipients);
        if recipients.is_empty() {
            return Ok(());
        }
        let recipients =
            serde_json::to_string(&recipients).map_err(|e| Error::Data(e.to_string()))?;
        // One statement for every recipient, so the append is all or nothing; a recipient
        // who already holds this event's key is skipped (the `inbox_events_once` index),
        // so a retried append adds only what the first one did not. Each row is numbered
        // within its inbox (`seq`: the inbox's newest row's plus one, one probe of the
        // `(user_id, id)` index), so trimming can go by each inbox's own count without a
        // second write: a second statement per append doubled the appends' turns at
        // SQLite's one write lock, and scenario iv's p99 went from 0.1 s to 1 s.
        let inserted = self
            .sql
            .query(
                "INSERT INTO inbox_events (user_id, payload, created_ms, event_key, seq)
                 SELECT r.value, ?1, ?2, ?3,
                        coalesce((SELECT e.seq FROM inbox_events e WHERE e.user_id = r.value
                                   ORDER BY e.id DESC LIMIT 1), 0) + 1
                   FROM json_each(?4) r WHERE true
                 ON CONFLICT DO NOTHING
                 RETURNING user_id, id, seq",
                &[
                    Value::from(envelope.json.as_str()),
                    Value::Integer(self.clock.now_ms()),
                    envelope.key.as_deref().map_or(Value::Null, Value::from),
                    Value::from(recipients.as_str()),
                ],
            )
            .await?;
        if inserted.is_empty() {
            return Ok(());
        }
        // Each inbox is trimmed every `trim_every` of its own events, counted exactly (a
        // sample of global ids would let the member always named first in a room grow
        // without bound). The events are in; a count or a trim that fails is logged, and a
        // later append trims.
        if let Err(e) = self.trim_due(&inserted).await {
            tracing::warn!("inbox trimming: {e}");
        }
        Ok(())
    }

    async fn settled(&self, keys: &[String]) -> Result<Vec<String>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        // The key is remembered as long as its rows are kept (`inbox_events_once`).
        let keys = serde_json::to_string(keys).map_err(|e| Error::Data(e.to_string()))?;
        let rows = self
            .sql
            .query(
                "SELECT DISTINCT event_key FROM inbox_events
                  WHERE event_key IN (SELECT value FROM json_each(?1))",
                &[Value::from(keys)],
            )
            .await?;
        rows.iter().map(|r| r.get(0)).collect()
    }

    async fn latest(&self, user: &UserId) -> Result<EventId> {
        let rows = self
            .sql
            .query(
                "SELECT coalesce(max(id), 0) FROM inbox_events WHERE user_id = ?1",
                &[Value::from(user)],
            )
            .await?;
        let id: i64 = match rows.first() {
            Some(row) => row.get(0)?,
            None => 0,
        };
        Ok(EventId(id.to_string()))
    }

    async fn cursor_status(&self, user: &UserId, cursor: &EventId) -> Result<CursorStatus> {
        let Some(cursor) = parse_cursor(cursor) else {
            return Ok(CursorStatus::Gap);
        };
        let rows = self
            .sql
            .query(
                "SELECT (SELECT max_trimmed_id FROM inbox_trims WHERE user_id = ?1),
                        (SELECT coalesce(max(id), 0) FROM inbox_events WHERE user_id = ?1)",
                &[Value::from(user)],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Ok(CursorStatus::Gap);
        };
        let max_trimmed: Option<i64> = row.get(0)?;
        let newest: i64 = row.get(1)?;
        let trimmed_unseen = max_trimmed.is_some_and(|t| cursor < t);
        let never_issued = cursor > newest;
        Ok(if trimmed_unseen || never_issued {
            CursorStatus::Gap
        } else {
            CursorStatus::Resumable
        })
    }

    /// A read of one inbox is a [`Inbox::read_many`] of one reader: one poll loop.
    async fn read(
        &self,
        user: &UserId,
        cursor: &EventId,
        wait: Duration,
        max: usize,
    ) -> Result<Vec<Delivered>> {
        let readers = [(user.clone(), cursor.clone())];
        let mut batches = self.read_many(&readers, wait, max).await?;
        Ok(batches.pop().unwrap_or_default())
    }

    /// One query over every reader's inbox per poll (at most `max` events each), polling
    /// as [`Inbox::read`] does until one has events, the wait is over, or the inbox is
    /// rung. Each poll serves all the readers, so the fast interval is budgeted by polls,
    /// not by streams.
    async fn read_many(
        &self,
        readers: &[(UserId, EventId)],
        wait: Duration,
        max: usize,
    ) -> Result<Vec<Vec<Delivered>>> {
        let mut cursors = Vec::with_capacity(readers.len());
        for (user, cursor) in readers {
            let after = parse_cursor(cursor).ok_or_else(Error::invalid_cursor)?;
            cursors.push(serde_json::json!([user.as_str(), after]));
        }
        let params = [
            Value::Text(serde_json::Value::Array(cursors).to_string()),
            Value::Integer(i64::try_from(max.max(1)).unwrap_or(i64::MAX)),
        ];
        // Count the polls rather than watch the clock, so a stopped test clock still ends.
        // Polls are fast for a while and then back off to the configured interval: a
        // conversation that is active gets its next event quickly, an idle stream costs
        // few queries.
        let mut remaining = wait;
        let mut waited = Duration::ZERO;
        let mut nap = self.fast_poll(readers.len()).await?;
        loop {
            let rows = self
                .sql
                .query(
                    "SELECT reader, id, payload FROM (
                       SELECT r.key AS reader, e.id, e.payload,
                              row_number() OVER (PARTITION BY r.key ORDER BY e.id) AS n
                       FROM json_each(?1) AS r
                       JOIN inbox_events AS e
                         ON e.user_id = r.value ->> 0 AND e.id > r.value ->> 1)
                     WHERE n <= ?2 ORDER BY reader, id",
                    &params,
                )
                .await?;
            // A ring since the last read ended (even before this one began: the reader who
            // rang may have joined after this round's readers were counted) ends it.
            if self.rung.swap(false, Ordering::AcqRel) || !rows.is_empty() || remaining.is_zero() {
                let mut batches: Vec<Vec<Delivered>> = vec![Vec::new(); readers.len()];
                for row in rows {
                    let reader: i64 = row.get(0)?;
                    let id: i64 = row.get(1)?;
                    let json: String = row.get(2)?;
                    if let Some(batch) = usize::try_from(reader)
                        .ok()
                        .and_then(|i| batches.get_mut(i))
                    {
                        batch.push(Delivered {
                            id: EventId(id.to_string()),
                            json,
                        });
                    }
                }
                return Ok(batches);
            }
            let this_nap = nap.min(remaining);
            self.clock.sleep(this_nap).await;
            remaining = remaining.saturating_sub(this_nap);
            waited += this_nap;
            if waited >= FAST_FOR {
                nap = (nap * 2).min(self.poll_interval);
            }
        }
    }

    async fn ring(&self) -> Result<()> {
        self.rung.store(true, Ordering::Release);
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        self.sql
            .query("SELECT 1 FROM inbox_events LIMIT 1", &[])
            .await
            .map(drop)
            .map_err(|e| Error::Bus(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_streams_share_one_polling_budget() {
        let ceiling = Duration::from_millis(200);
        assert_eq!(budgeted_fast_poll(0, ceiling), FAST_POLL);
        assert_eq!(budgeted_fast_poll(100, ceiling), FAST_POLL);
        assert_eq!(budgeted_fast_poll(500, ceiling), Duration::from_millis(40));
        assert_eq!(budgeted_fast_poll(100_000, ceiling), ceiling);
        assert_eq!(
            budgeted_fast_poll(1, Duration::from_millis(5)),
            Duration::from_millis(5),
            "a configured interval below the fast one wins"
        );
    }
}
