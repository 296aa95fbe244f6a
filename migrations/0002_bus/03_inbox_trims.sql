-- The highest id ever trimmed from each inbox: a cursor below it has missed events.
CREATE TABLE inbox_trims (
    user_id TEXT PRIMARY KEY,
    max_trimmed_id INTEGER NOT NULL
) WITHOUT ROWID;
