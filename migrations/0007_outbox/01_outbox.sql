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
