-- A deleted message's reports are settled, whoever deleted it (its sender, a moderator,
-- the account's deletion): kept by the database so no path can leave one open.
CREATE TRIGGER reports_close_with_their_message AFTER UPDATE OF deleted ON messages
WHEN NEW.deleted = 1 AND OLD.deleted = 0
BEGIN
    DELETE FROM reports WHERE message_id = NEW.id;
END;
