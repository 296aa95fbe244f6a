-- The counts of the conversations that exist already.
UPDATE conversations
   SET member_count = (SELECT count(*) FROM members WHERE conversation_id = conversations.id);
