-- An edit or a deletion (the tombstone empties the body) of a message the index already
-- holds replaces or removes its words; one above the mark needs nothing: its batch indexes
-- the body as it is then. FTS5's 'delete' is given exactly the words indexed before.
CREATE TRIGGER messages_search_on_change AFTER UPDATE OF body, deleted ON messages
WHEN OLD.rowid <= (SELECT indexed_through FROM messages_search_mark)
BEGIN
    INSERT INTO messages_search (messages_search, rowid, body)
        SELECT 'delete', OLD.rowid, OLD.body WHERE OLD.deleted = 0;
    INSERT INTO messages_search (rowid, body)
        SELECT NEW.rowid, NEW.body WHERE NEW.deleted = 0;
END;
