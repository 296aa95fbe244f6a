-- An owner who leaves (or whose account is deleted) hands the room on, in the database so
-- no path can forget it: to the longest-standing moderator, else the longest-standing
-- member. A room nobody is left in has no owner.
CREATE TRIGGER members_owner_succession AFTER DELETE ON members
WHEN OLD.role = 'owner'
BEGIN
    UPDATE members SET role = 'owner'
     WHERE conversation_id = OLD.conversation_id
       AND user_id = (SELECT user_id FROM members
                       WHERE conversation_id = OLD.conversation_id
                       ORDER BY role = 'moderator' DESC, joined_at_ms, user_id
                       LIMIT 1);
END;
