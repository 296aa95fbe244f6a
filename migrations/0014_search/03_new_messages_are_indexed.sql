-- The database keeps the index: a stored message is indexed in the statement that
-- stores it, so no code path can forget to.
CREATE TRIGGER messages_search_on_send AFTER INSERT ON messages
WHEN NEW.deleted = 0
BEGIN
    INSERT INTO messages_search (rowid, body) VALUES (NEW.rowid, NEW.body);
END;
