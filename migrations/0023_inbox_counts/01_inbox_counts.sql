-- How many events each embedded inbox received: the append counts them (one statement
-- for all its recipients) and trims an inbox every so many of its own events, so no inbox
-- outgrows its hard limit, whatever order a room's members are named in.
CREATE TABLE inbox_counts (
    user_id TEXT PRIMARY KEY,
    appended INTEGER NOT NULL
) WITHOUT ROWID;
