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
