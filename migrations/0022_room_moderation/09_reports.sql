-- A member's report of a room message to the room's moderators: open until a moderator
-- dismisses it or the message is deleted. One per reporter and message.
CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    reporter_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    UNIQUE (message_id, reporter_id)
);
