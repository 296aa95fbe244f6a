-- Until this migration the triggers of 0014_search indexed every message as it was stored.
INSERT INTO messages_search_mark (only_row, indexed_through)
SELECT 1, coalesce(max(rowid), 0) FROM messages;
