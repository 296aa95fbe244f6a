-- A message row removed outright (its conversation or sender deleted) leaves the index if
-- it was in it. Removing the newest rows lets SQLite hand their rowids out again, so the
-- mark steps back to the newest row left: a message stored later under a reused rowid is
-- then above the mark, and indexed.
CREATE TRIGGER messages_search_on_remove AFTER DELETE ON messages
BEGIN
    INSERT INTO messages_search (messages_search, rowid, body)
        SELECT 'delete', OLD.rowid, OLD.body
         WHERE OLD.deleted = 0
           AND OLD.rowid <= (SELECT indexed_through FROM messages_search_mark);
    UPDATE messages_search_mark
       SET indexed_through = (SELECT coalesce(max(rowid), 0) FROM messages)
     WHERE indexed_through > (SELECT coalesce(max(rowid), 0) FROM messages);
END;
