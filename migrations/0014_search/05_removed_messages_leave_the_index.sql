-- A message row removed outright (its conversation or sender deleted) leaves the index.
CREATE TRIGGER messages_search_on_remove AFTER DELETE ON messages
WHEN OLD.deleted = 0
BEGIN
    INSERT INTO messages_search (messages_search, rowid, body)
        VALUES ('delete', OLD.rowid, OLD.body);
END;
