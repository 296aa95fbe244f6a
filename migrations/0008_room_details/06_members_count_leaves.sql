-- Every membership removed counts too.
CREATE TRIGGER members_count_leaves AFTER DELETE ON members
BEGIN
    UPDATE conversations SET member_count = member_count - 1 WHERE id = OLD.conversation_id;
END;
