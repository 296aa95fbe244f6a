-- A deleted message keeps nothing of what it said, its files included: the statement that
-- makes the tombstone stops them being served.
CREATE TRIGGER deleted_messages_discard_attachments AFTER UPDATE OF deleted ON messages
WHEN NEW.deleted = 1
BEGIN
    UPDATE attachments SET discarded = 1 WHERE message_id = NEW.id;
END;
