-- A deleted message keeps nothing of what it said, its reactions included: the database
-- removes them in the statement that makes the tombstone.
CREATE TRIGGER deleted_messages_lose_reactions AFTER UPDATE OF deleted ON messages
WHEN NEW.deleted = 1
BEGIN
    DELETE FROM reactions WHERE message_id = NEW.id;
END;
