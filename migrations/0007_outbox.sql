-- One durable way to deliver every event (events/outbox.rs). A write that emits an event
-- first records it here, then appends it to the recipients' inboxes and deletes the row.
-- A row still here after its due time (the request was cut, the bus failed mid-append)
-- is appended again by whichever event stream next does its rounds; appends are
-- idempotent by the event's key, so a retry never delivers twice.
CREATE TABLE outbox (
    -- The event's idempotency key (the inbox refuses a second append under it).
    key TEXT PRIMARY KEY,
    -- JSON array of recipient ids and the event JSON; both NULL for a message, whose
    -- event is built from its row and sent to the conversation's members.
    recipients TEXT,
    event TEXT,
    message_id TEXT REFERENCES messages (id) ON DELETE CASCADE,
    -- When a stream may (re)deliver it: a few seconds after it was written, so the
    -- writing request normally finishes first; pushed on while a stream is delivering it.
    due_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX outbox_by_due ON outbox (due_at_ms);

-- A message enters the outbox in the very statement that stores it (a send is one
-- INSERT): however the request is cut afterwards, its event is not forgotten. This
-- replaces the `announced` flag of 0005, which no longer means anything.
CREATE TRIGGER messages_enter_outbox AFTER INSERT ON messages
BEGIN
    INSERT INTO outbox (key, message_id, due_at_ms)
    VALUES ('message:' || NEW.id, NEW.id, NEW.created_at_ms + 5000);
END;

-- The embedded inbox refuses a second copy of one event for one recipient.
ALTER TABLE inbox_events ADD COLUMN event_key TEXT;
CREATE UNIQUE INDEX inbox_events_once ON inbox_events (event_key, user_id)
    WHERE event_key IS NOT NULL;

-- Lapsed stream leases are found by expiry (events/leases.rs sweeps them).
CREATE INDEX stream_leases_by_expiry ON stream_leases (expires_at_ms);
