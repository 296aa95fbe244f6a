-- Until a room's moderators change it, the invite secret is the id it was made with, so
-- every link already shared keeps working.
UPDATE conversations SET invite_code = id WHERE kind = 'room' AND name IS NULL;
