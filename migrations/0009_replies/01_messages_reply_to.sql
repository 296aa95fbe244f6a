-- The message a message answers (same conversation), or NULL. No foreign key: messages
-- are never deleted (a deletion leaves a tombstone), and a reply shows a tombstone's
-- quote as deleted.
ALTER TABLE messages ADD COLUMN reply_to_id TEXT;
