-- Every membership added counts (an INSERT OR IGNORE that adds nothing fires nothing).
CREATE TRIGGER members_count_joins AFTER INSERT ON members
BEGIN
    UPDATE conversations SET member_count = member_count + 1 WHERE id = NEW.conversation_id;
END;
