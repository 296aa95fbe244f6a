-- One durable way to deliver every event (events/outbox.rs): nothing a write emits is
-- lost when its request is cut, or the bus fails, between the write and the append.
-- Appends are idempotent by the event's key, so a redelivery never doubles anything.

-- Events other than messages: written here just after their change, appended, and
-- settled (deleted once the inbox holds them) by the streams' rounds, which append again
-- whatever the inbox does not hold once the row is due.
CREATE TABLE outbox (
    -- The event's idempotency key (the inbox refuses a second append under it).
    key TEXT PRIMARY KEY,
    -- JSON array of recipient ids, and the event JSON.
    recipients TEXT NOT NULL,
    event TEXT NOT NULL,
    -- When a stream may redeliver it; pushed on while one is doing so.
    due_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX outbox_by_due ON outbox (due_at_ms);

-- Messages need no row of their own: their ids are UUIDv7, so the messages table is
-- already in time order, and the rounds walk it from this mark (the newest message
-- known delivered), checking each message's event is in, appending it if not. A send
-- stays one INSERT: a per-message outbox row (by trigger) cost a third more time under
-- SQLite's write lock, and a 500 messages/s load that passed before collapsed with it.
-- Messages stored before this migration count as delivered (the `announced` flag of
-- 0005 no longer means anything).
CREATE TABLE message_delivery_mark (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_message_id TEXT NOT NULL
);
INSERT INTO message_delivery_mark (id, last_message_id)
VALUES (1, coalesce((SELECT max(id) FROM messages), ''));

-- Whose turn the rounds are: one stream of the deployment takes it per interval
-- (events/stream.rs), with one read where it is not due, on the connection its heartbeat
-- already holds.
CREATE TABLE rounds_turn (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next_at_ms INTEGER NOT NULL
);
INSERT INTO rounds_turn (id, next_at_ms) VALUES (1, 0);

-- The embedded inbox refuses a second copy of one event for one recipient.
ALTER TABLE inbox_events ADD COLUMN event_key TEXT;
CREATE UNIQUE INDEX inbox_events_once ON inbox_events (event_key, user_id)
    WHERE event_key IS NOT NULL;

-- Lapsed stream leases are found by expiry (events/leases.rs sweeps them).
CREATE INDEX stream_leases_by_expiry ON stream_leases (expires_at_ms);
