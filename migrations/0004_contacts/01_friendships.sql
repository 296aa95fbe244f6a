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
