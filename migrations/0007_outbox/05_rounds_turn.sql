-- Whose turn the rounds are: one stream of the deployment takes it per interval
-- (events/stream.rs), with one read where it is not due, on the connection its heartbeat
-- already holds.
CREATE TABLE rounds_turn (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    next_at_ms INTEGER NOT NULL
);
