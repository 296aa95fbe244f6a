-- A send is one INSERT statement (conversations/messages.rs): SQLite runs a statement
-- under the write lock from its first step to its last, so the seq it takes from the
-- conversation's counter cannot race, and the lock is held for microseconds instead of
-- across several host calls. This trigger does, inside that same statement, what the
-- send used to do in a transaction of its own: advance the conversation's counter and
-- activity, and move the sender's read mark (writing in a conversation means having read
-- it).
CREATE TRIGGER messages_advance_conversation AFTER INSERT ON messages
BEGIN
    UPDATE conversations
       SET last_seq = max(last_seq, NEW.seq), last_activity_ms = NEW.created_at_ms
     WHERE id = NEW.conversation_id;
    UPDATE members
       SET last_read_seq = max(last_read_seq, NEW.seq)
     WHERE conversation_id = NEW.conversation_id AND user_id = NEW.sender_id;
END;
