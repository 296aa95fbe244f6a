-- Reactions: one row per (message, emoji, person). The key puts a message's reactions
-- together, grouped by emoji, so reading them with the message is one index range.
CREATE TABLE reactions (
    message_id TEXT NOT NULL,
    emoji TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (message_id, emoji, user_id)
) WITHOUT ROWID;
