-- A blob's bytes in parts of 256 KiB (the last one shorter), read back by range. A rowid
-- table: parts are far bigger than a WITHOUT ROWID table keeps well.
CREATE TABLE blob_parts (
    blob_key TEXT NOT NULL,
    n INTEGER NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (blob_key, n)
);
