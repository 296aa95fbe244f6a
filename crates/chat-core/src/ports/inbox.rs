//! The `Inbox` port: the event bus. Every live event is appended to the inbox of each user
//! who should see it; each open event stream reads its user's inbox after a cursor.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::{Result, ids::UserId};

/// Where an event sits in one user's inbox. Opaque to clients, increasing per user; the
/// format belongs to the backend (`<ms>-<seq>` for Redis Streams, a number for SQLite).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EventId(pub String);

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An event as the bus carries it: the JSON text the domain made of it, which the bus
/// stores and hands back untouched, and the key it is appended under. The bus knows
/// nothing of what an event means (as Centrifuge's brokers carry publications as bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The event's JSON object (`{"kind": .., "data": .., ..}`, see `vocabulary::Event`).
    pub json: String,
    /// The idempotency key: appending an envelope whose key an inbox already holds adds
    /// nothing (see [`Inbox::append`]).
    pub key: Option<String>,
}

/// An event as read from an inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// Its id in the reader's inbox.
    pub id: EventId,
    /// The event's JSON, as it was appended.
    pub json: String,
}

/// Whether a reader can resume from a cursor without having missed anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CursorStatus {
    /// Everything after the cursor is still retained.
    Resumable,
    /// Events after the cursor were trimmed, or the cursor was never issued by this inbox:
    /// the client must re-fetch state (`resync`).
    Gap,
}

/// Which backend carries the events; reported by `/api/health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BusBackend {
    /// Redis Streams (+ pub/sub).
    Redis,
    /// The embedded SQLite table, polled.
    Sqlite,
}

impl BusBackend {
    /// `"redis"` or `"sqlite"`.
    pub fn as_str(self) -> &'static str {
        match self {
            BusBackend::Redis => "redis",
            BusBackend::Sqlite => "sqlite",
        }
    }
}

/// How long an inbox remembers an event key, at least, until the outbox settles it: as
/// long as the inboxes keep a day of events, so a row the outbox holds for hours (no
/// stream did its rounds, the bus was down) is still recognised when it is retried.
pub const APPEND_DEDUP_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);
/// How long an inbox still remembers a key after [`Inbox::settled`] reported it: a retry
/// still in flight when the outbox let go of the event is refused too.
pub const SETTLED_DEDUP_WINDOW: Duration = Duration::from_secs(2 * 60);

/// Per-user event inboxes.
#[async_trait::async_trait]
pub trait Inbox: Send + Sync {
    /// Which backend this is.
    fn backend(&self) -> BusBackend;

    /// Appends `envelope` to the inbox of every recipient (duplicates ignored), in one round
    /// trip, trimming each inbox to its retention. Where the backend has pub/sub (Redis),
    /// the event is also published once on the configured channel with its recipients.
    ///
    /// All or nothing, and idempotent by `envelope.key`: once an append under a key has
    /// succeeded, appending under that key again adds nothing (for at least
    /// [`APPEND_DEDUP_WINDOW`]), so a retry after a lost reply or a cut request never
    /// delivers twice.
    async fn append(&self, recipients: &[UserId], envelope: &Envelope) -> Result<()>;

    /// Of `keys`, those whose append is in (the recipients hold the event), in any order.
    /// The outbox asks this of the rows it is about to retry and drops those reported;
    /// the inbox may from then on forget those keys after [`SETTLED_DEDUP_WINDOW`].
    async fn settled(&self, keys: &[String]) -> Result<Vec<String>>;

    /// The id of the newest event in `user`'s inbox: a new stream reads after it, so it
    /// sees exactly the events appended from now on.
    async fn latest(&self, user: &UserId) -> Result<EventId>;

    /// Whether reading after `cursor` would miss nothing.
    async fn cursor_status(&self, user: &UserId, cursor: &EventId) -> Result<CursorStatus>;

    /// Up to `max` events after `cursor`, oldest first. When there are none yet, waits up
    /// to `wait` for one to arrive; returns an empty list if none did.
    async fn read(
        &self,
        user: &UserId,
        cursor: &EventId,
        wait: Duration,
        max: usize,
    ) -> Result<Vec<Delivered>>;

    /// For each of `readers` (a user and a cursor in their inbox), up to `max` events after
    /// the cursor, all in one read: one list per reader, in order. When none has any yet,
    /// waits up to `wait` for one to arrive, or until [`Inbox::ring`] is called; returns
    /// empty lists if neither happened. The streams of one process (or one reused Spin
    /// instance) wait together this way (`bus::SharedWaits`): one wake serves them all.
    async fn read_many(
        &self,
        readers: &[(UserId, EventId)],
        wait: Duration,
        max: usize,
    ) -> Result<Vec<Vec<Delivered>>>;

    /// Ends the [`Inbox::read_many`] of this inbox that is waiting now, so it can start
    /// again with a reader that joined meanwhile. A ring before a read starts may end
    /// that read at once, with nothing: harmless, it starts again.
    async fn ring(&self) -> Result<()>;

    /// Checks the backend is reachable (for `/api/health`).
    async fn ping(&self) -> Result<()>;
}
