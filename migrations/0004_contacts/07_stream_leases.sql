-- An open event stream holds a lease, renewed at each heartbeat. A user is connected while
-- any lease of theirs is unexpired: a stream that dies silently simply stops renewing.
CREATE TABLE stream_leases (
    stream_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
