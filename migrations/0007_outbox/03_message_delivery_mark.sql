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
