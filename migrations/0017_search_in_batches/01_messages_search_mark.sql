-- Messages are indexed for search in batches, not one by one as they are stored: FTS5
-- writes a new index segment (and now and then merges segments) per transaction, and
-- doing that inside every send held SQLite's one write lock long enough that 500
-- messages a second on one Spin process tipped over. The mark says how far, in the
-- messages table's rowid order (the order rows were stored in), the index has got:
-- every message at or below it is indexed as it reads now, none above it is.
CREATE TABLE messages_search_mark (
    only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
    indexed_through INTEGER NOT NULL
);
