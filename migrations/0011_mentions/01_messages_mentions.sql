-- The usernames a room message mentions (`@name`), as a JSON array, or NULL: written with
-- the message by the same statement, so counting a reader's unread mentions needs no
-- second table and a send no second write.
ALTER TABLE messages ADD COLUMN mentions TEXT;
