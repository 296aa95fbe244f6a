-- Conversations (direct and rooms), their members, and messages.

CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('direct', 'room')),
    -- Public rooms only; private rooms and direct conversations have none.
    name TEXT UNIQUE,
    -- Direct conversations only: "<smaller user id>:<larger user id>". The unique index
    -- makes get-or-create race-safe.
    direct_key TEXT UNIQUE,
    created_at_ms INTEGER NOT NULL,
    -- The seq of the newest message: the counter new messages take their seq from.
    last_seq INTEGER NOT NULL DEFAULT 0,
    last_activity_ms INTEGER NOT NULL,
    CHECK ((kind = 'direct') = (direct_key IS NOT NULL)),
    CHECK (kind = 'room' OR name IS NULL)
);
