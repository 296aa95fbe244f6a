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

CREATE TABLE members (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at_ms INTEGER NOT NULL,
    last_read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_by_user ON members (user_id);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    sender_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Empty once deleted (the tombstone keeps its place in the sequence).
    body TEXT NOT NULL,
    client_id TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    edited_at_ms INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0,
    -- 1 once the `message` event is in the members' inboxes. A send whose append failed
    -- (bus down) leaves 0, and the client's retry delivers it then.
    announced INTEGER NOT NULL DEFAULT 0,
    -- History pages and unread counts are range scans of this index.
    UNIQUE (conversation_id, seq),
    -- A retried send finds its first attempt here instead of storing a duplicate.
    UNIQUE (conversation_id, sender_id, client_id)
);
