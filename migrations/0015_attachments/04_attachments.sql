-- Files on messages. Uploaded first (message_id NULL, only the uploader sees it), then
-- carried by the message that sends it. The bytes are blob `id` of the blob store; the
-- type, size and dimensions are what the server found in them, never what a client said.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    uploader_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    message_id TEXT,
    -- Its place among its message's files, as the sender listed them.
    position INTEGER NOT NULL DEFAULT 0,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    -- A picture's scaled preview (blob `<id>.preview`) and its type; NULL when it is its
    -- own preview (small, a GIF, or too big to decode).
    preview_type TEXT,
    preview_size INTEGER,
    sha256 TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    -- 1 once its message is deleted: never served again; the sweep deletes blob and row.
    discarded INTEGER NOT NULL DEFAULT 0
);
