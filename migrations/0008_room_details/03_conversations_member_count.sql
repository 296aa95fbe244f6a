-- How many members a conversation has, kept by the triggers below: the room directory
-- sorts and shows it without counting every membership of every public room per request.
ALTER TABLE conversations ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0;
