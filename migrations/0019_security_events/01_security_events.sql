-- Each user's security activity, for them to look over in the settings (the same events
-- also go to the log, with those that belong to no account): what happened, when, and from
-- which client address and browser. Never a password, token or code. A user keeps their
-- newest 200 (older ones are deleted as new ones come).
CREATE TABLE security_events (
    id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    client TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
