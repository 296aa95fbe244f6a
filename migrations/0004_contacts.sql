-- Contacts: friendships, friend requests, blocks, and the liveness leases of open event
-- streams from which presence is computed.

-- One row per pair, smaller id first: a friendship cannot be stored twice or disagree
-- with itself.
CREATE TABLE friendships (
    user_a TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_b TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    since_ms INTEGER NOT NULL,
    PRIMARY KEY (user_a, user_b),
    CHECK (user_a < user_b)
) WITHOUT ROWID;
CREATE INDEX friendships_by_b ON friendships (user_b);

CREATE TABLE friend_requests (
    from_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    to_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (from_id, to_id),
    CHECK (from_id <> to_id)
) WITHOUT ROWID;
CREATE INDEX friend_requests_to ON friend_requests (to_id);

CREATE TABLE blocks (
    blocker_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    blocked_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id),
    CHECK (blocker_id <> blocked_id)
) WITHOUT ROWID;
CREATE INDEX blocks_by_blocked ON blocks (blocked_id);

-- An open event stream holds a lease, renewed at each heartbeat. A user is connected while
-- any lease of theirs is unexpired: a stream that dies silently simply stops renewing.
CREATE TABLE stream_leases (
    stream_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX stream_leases_by_user ON stream_leases (user_id, expires_at_ms);

-- Prefix search on usernames uses the UNIQUE index; display names get one of their own.
CREATE INDEX users_by_display_name_key ON users (display_name_key);
