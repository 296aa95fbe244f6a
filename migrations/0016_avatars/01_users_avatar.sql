-- A profile picture: the key of its blob in the blob store (a new key for every picture,
-- so a URL naming it can be cached for good); NULL shows the initial letter.
ALTER TABLE users ADD COLUMN avatar_id TEXT;
