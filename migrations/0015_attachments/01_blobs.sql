-- The SQL blob store (crates/chat-core/src/blobs): one row per blob, whose size is NULL
-- until the upload that writes it completes.
CREATE TABLE blobs (
    key TEXT PRIMARY KEY,
    size INTEGER,
    created_at_ms INTEGER NOT NULL
);
