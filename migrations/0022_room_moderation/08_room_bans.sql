-- Who may not join a room again until its moderators lift the ban.
CREATE TABLE room_bans (
    conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    banned_by TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    banned_at_ms INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
