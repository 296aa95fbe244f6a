-- A private room's invite secret, apart from its id so that it can be changed: the id
-- stays (messages, links to them, every member's state), the old link stops admitting.
ALTER TABLE conversations ADD COLUMN invite_code TEXT;
