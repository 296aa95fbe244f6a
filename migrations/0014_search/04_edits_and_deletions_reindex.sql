-- An edit replaces the indexed words; a deletion (the tombstone empties the body) takes
-- them out. FTS5's 'delete' is given exactly the words indexed before, as it needs.
CREATE TRIGGER messages_search_on_change AFTER UPDATE OF body, deleted ON messages
BEGIN
    INSERT INTO messages_search (messages_search, rowid, body)
        SELECT 'delete', OLD.rowid, OLD.body WHERE OLD.deleted = 0;
    INSERT INTO messages_search (rowid, body)
        SELECT NEW.rowid, NEW.body WHERE NEW.deleted = 0;
END;
