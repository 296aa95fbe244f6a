//! One live event stream: what `GET /api/events` sends, frame by frame.
//!
//! The stream reads its user's inbox after a cursor and ends by itself after the configured
//! time (hosted platforms cut requests at 30 s; the client reconnects with its last id and
//! misses nothing). Presence and delivery need no background job; streams do the rounds:
//! - opening takes a lease and, if the user had no live stream, tells friends they are on;
//! - opening and every heartbeat renew the lease, sweep lapsed leases (any user's: their
//!   friends get a durable `offline` in their inboxes, so it reaches them across their own
//!   reconnects) and redeliver what the outbox still holds. A heartbeat renews only once
//!   its comment was written, so a client that is gone renews at most once more (when its
//!   socket still took a write); heartbeat + lease time + heartbeat bound how long a ghost
//!   can linger (15 + 30 + 15 = 60 s by default).

use std::time::Duration;

use crate::{
    Ports, Result, ResultExt,
    delivery::outbox,
    model::User,
    ports::{CursorStatus, Delivered, EventId, Value, first_flag},
    presence::{self, leases},
    search_index,
    time::millis,
    vocabulary::{Event, Payload},
};

/// How long a client is told to wait before reconnecting.
pub const RETRY: Duration = Duration::from_millis(1000);
/// A stream that ended by itself keeps its lease this long for the reconnect.
const RECONNECT_GRACE: Duration = Duration::from_secs(5);
/// Events read from the inbox at once.
const BATCH: usize = 100;

/// One piece of the stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// The first frame: `retry:` in milliseconds, and `id:` the cursor the stream starts
    /// after. No event is dispatched for it, but a browser's EventSource keeps the id and
    /// sends it as `Last-Event-ID` when it reconnects, so a client that saw no event in
    /// this stream still resumes where it began instead of at the inbox's end then (which
    /// would skip whatever arrived between the two streams).
    Opening {
        /// How long the client waits before reconnecting.
        retry: Duration,
        /// Where the stream starts.
        cursor: String,
    },
    /// An event with `id:`, `event:` and `data:`.
    Event {
        /// The inbox id (for `Last-Event-ID`).
        id: String,
        /// The event type and its data (boxed: the biggest payload dwarfs the other frames).
        payload: Box<Payload>,
    },
    /// A comment line (heartbeat).
    Comment(&'static str),
}

/// The state of one open stream.
pub struct LiveStream {
    ports: Ports,
    user: User,
    /// The session the stream was opened with: a `session_ended` for it ends the stream.
    session_id: Option<String>,
    stream_id: String,
    cursor: EventId,
    started_ms: i64,
    ends_ms: i64,
    next_heartbeat_ms: i64,
    /// A heartbeat comment went out: renew and do the rounds when the next frame is asked
    /// for, which is once the comment was written.
    renew_due: bool,
    pending: std::collections::VecDeque<Frame>,
    finished: bool,
}

/// A uniformly random whole number in `0..bound` (0 when `bound` is not positive).
fn random_below(ports: &Ports, bound: i64) -> Result<i64> {
    let Ok(bound) = u64::try_from(bound) else {
        return Ok(0);
    };
    if bound == 0 {
        return Ok(0);
    }
    let mut bytes = [0u8; 8];
    ports.random.fill(&mut bytes)?;
    // The modulo bias is below 2^-40 for any bound this sees (at most a minute in ms).
    Ok(i64::try_from(u64::from_le_bytes(bytes) % bound).unwrap_or(0))
}

impl LiveStream {
    /// Opens a stream for `user`, resuming after `last_event_id` when given. A cursor that
    /// is unknown or older than what the inbox retains starts the stream with `resync`.
    /// With `session_id`, the stream ends once that session does (`session_ended`).
    pub async fn open(
        ports: Ports,
        user: User,
        session_id: Option<String>,
        last_event_id: Option<&str>,
    ) -> Result<Self> {
        let inbox = ports.inbox.clone();
        let started_ms = ports.clock.now_ms();
        let mut pending = std::collections::VecDeque::new();
        let cursor = match last_event_id {
            Some(id) => {
                let resumed = EventId(id.to_owned());
                match inbox
                    .cursor_status(&user.id, &resumed)
                    .await
                    .context("stream open: checking the resume cursor")?
                {
                    CursorStatus::Resumable => resumed,
                    CursorStatus::Gap => {
                        let latest = inbox
                            .latest(&user.id)
                            .await
                            .context("stream open: finding the inbox end")?;
                        pending.push_back(Frame::Event {
                            id: latest.0.clone(),
                            payload: Box::new(Payload::resync()),
                        });
                        latest
                    }
                }
            }
            None => inbox
                .latest(&user.id)
                .await
                .context("stream open: finding the inbox end")?,
        };

        pending.push_front(Frame::Opening {
            retry: RETRY,
            cursor: cursor.0.clone(),
        });
        let stream_id = crate::ports::uuid_v7(ports.clock.as_ref(), ports.random.as_ref())?;
        presence::connect(&ports, &stream_id, &user)
            .await
            .context("stream open: taking the lease")?;
        // Before the first read, so a resuming stream finds what was still pending.
        do_the_rounds(&ports).await;
        let settings = &ports.settings;
        // Streams opened together (a server restart, a load test, a shared reconnect
        // after a network blip) would otherwise heartbeat and end together forever: one
        // lease write per stream at the same instant, a herd on SQLite's write lock that
        // stalled sends for over a second at 400 streams. Spread both at random: the first
        // heartbeat within the second half of the interval, the end in the last fifth of
        // the stream's time (never later than configured, but for the shared wait's rounding
        // of deadlines, at most a second: see bus/shared_waits.rs).
        let stream_ms = millis(settings.stream_duration);
        let heartbeat_ms = millis(settings.heartbeat_interval);
        let ends_ms = started_ms + stream_ms - random_below(&ports, stream_ms / 5)?;
        let first_heartbeat_ms =
            started_ms + heartbeat_ms - random_below(&ports, heartbeat_ms / 2)?;
        Ok(LiveStream {
            ends_ms,
            next_heartbeat_ms: first_heartbeat_ms,
            renew_due: false,
            ports,
            user,
            session_id,
            stream_id,
            cursor,
            started_ms,
            pending,
            finished: false,
        })
    }

    /// The next frame, waiting for one; `None` once the stream has ended by itself.
    pub async fn next(&mut self) -> Option<Frame> {
        if std::mem::take(&mut self.renew_due)
            && let Err(e) = self.heartbeat().await
        {
            tracing::warn!("event stream {}: heartbeat: {e}", self.stream_id);
        }
        loop {
            if let Some(frame) = self.pending.pop_front() {
                return Some(frame);
            }
            if self.finished {
                return None;
            }
            let now = self.ports.clock.now_ms();
            if now >= self.ends_ms {
                self.finished = true;
                if let Err(e) = leases::release(&self.ports, &self.stream_id, RECONNECT_GRACE).await
                {
                    tracing::warn!("event stream {}: releasing lease: {e}", self.stream_id);
                }
                continue;
            }
            if now >= self.next_heartbeat_ms {
                self.next_heartbeat_ms = now + millis(self.ports.settings.heartbeat_interval);
                // The comment first: a stream whose client left fails to write it and is
                // never asked for another frame, so it does not keep a dead tab's lease.
                self.renew_due = true;
                self.pending.push_back(Frame::Comment("heartbeat"));
                continue;
            }
            let wait = self.next_heartbeat_ms.min(self.ends_ms) - now;
            let wait = Duration::from_millis(u64::try_from(wait).unwrap_or(0));
            match self
                .ports
                .inbox
                .read(&self.user.id, &self.cursor, wait, BATCH)
                .await
            {
                Ok(batch) => {
                    for delivered in batch {
                        self.cursor = delivered.id.clone();
                        self.deliver(delivered).await;
                    }
                }
                Err(e) => {
                    // The client reconnects with its last id; nothing is lost.
                    tracing::warn!("event stream {}: reading inbox: {e}", self.stream_id);
                    self.finished = true;
                }
            }
        }
    }

    /// Queues an inbox event, unless it is a stale or replayed live-only one. A swept
    /// lapse is checked first: if its user came back meanwhile, the stream says what they
    /// look like now instead (an `offline` written just before their return must not be
    /// the last word a friend hears).
    async fn deliver(&mut self, delivered: Delivered) {
        let Delivered { id, json } = delivered;
        let mut event = match Event::from_json(&json) {
            Ok(event) => event,
            Err(e) => {
                // Not an event this service wrote: skipped, the rest of the inbox goes on.
                tracing::warn!("event stream {}: inbox event {id}: {e}", self.stream_id);
                return;
            }
        };
        if let Some(ephemeral) = event.ephemeral {
            let now = self.ports.clock.now_ms();
            if ephemeral.sent_ms < self.started_ms || now >= ephemeral.expires_ms {
                return;
            }
        }
        if event.lapse
            && let Payload::Presence(change) = &mut event.payload
        {
            match presence::seen_by(&self.ports, &self.user.id, &change.user_id).await {
                Ok(seen) => change.presence = seen,
                Err(e) => tracing::warn!("event stream {}: presence check: {e}", self.stream_id),
            }
        }
        let own_session_ended = matches!(
            (&event.payload, &self.session_id),
            (Payload::SessionEnded(ended), Some(mine)) if ended.session_id == *mine
        );
        self.pending.push_back(Frame::Event {
            id: id.0,
            payload: Box::new(event.payload),
        });
        if own_session_ended {
            // Signed out: the client hears why, then the stream ends and its reconnect
            // is refused. The lease goes at once (no reconnect is coming).
            self.finished = true;
            if let Err(e) = leases::release(&self.ports, &self.stream_id, Duration::ZERO).await {
                tracing::warn!("event stream {}: releasing lease: {e}", self.stream_id);
            }
        }
    }

    /// Renews this stream's lease and does the rounds.
    async fn heartbeat(&mut self) -> Result<()> {
        leases::renew(&self.ports, &self.stream_id)
            .await
            .context("heartbeat: renewing the lease")?;
        do_the_rounds(&self.ports).await;
        Ok(())
    }
}

/// What the streams do for all users, as each opens and at each heartbeat: announce
/// lapsed leases, make sure past events reached the inboxes, index new messages for search. One stream of the whole
/// deployment does them per `rounds_interval`: were every heartbeat to do them, 400
/// streams would run them 27 times a second, all on the same rows. Failures are logged:
/// the next round retries, and the stream itself is not at fault.
async fn do_the_rounds(ports: &Ports) {
    match rounds_are_due(ports).await {
        Ok(true) => {}
        Ok(false) => return,
        Err(e) => {
            tracing::warn!("event streams: rounds skipped: {e}");
            return;
        }
    }
    if let Err(e) = leases::sweep_lapsed(ports).await {
        tracing::warn!("event streams: sweeping lapsed leases: {e}");
    }
    if let Err(e) = outbox::drain(ports).await {
        tracing::warn!("event streams: redelivering the outbox: {e}");
    }
    if let Err(e) = search_index::index_new_messages(ports).await {
        tracing::warn!("event streams: indexing new messages for search: {e}");
    }
}

/// Whether this stream is the one to do the rounds now: one read when it is not (on the
/// SQLite connection the heartbeat's lease renewal already opened: neither a Redis
/// connection nor a write per heartbeat), and one conditional write to take the turn.
async fn rounds_are_due(ports: &Ports) -> Result<bool> {
    let interval = millis(ports.settings.rounds_interval);
    if interval == 0 {
        return Ok(true);
    }
    let now = Value::Integer(ports.clock.now_ms());
    let due = ports
        .sql
        .query(
            "SELECT next_at_ms <= ?1 FROM rounds_turn",
            std::slice::from_ref(&now),
        )
        .await?;
    if !first_flag(&due)? {
        return Ok(false);
    }
    let taken = ports
        .sql
        .query(
            "UPDATE rounds_turn SET next_at_ms = ?1 + ?2 WHERE next_at_ms <= ?1 RETURNING 1",
            &[now, Value::Integer(interval)],
        )
        .await?;
    Ok(taken.len() == 1)
}
